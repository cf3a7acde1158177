# bash completion for cairn. Installed as
# share/bash-completion/completions/cairn (docs/install.md).
# The commands and options are read from `cairn --help` and
# `cairn COMMAND --help`, so they always match the installed binary.

_cairn_help_words() {
  # $1: "options" or "commands"; the rest: the cairn command line to ask.
  local what=$1 section=
  shift
  "$@" --help 2>/dev/null | while IFS= read -r line; do
    case $line in
      Options:* | OPTIONS:*) section=options; continue ;;
      Subcommands:* | SUBCOMMANDS:*) section=commands; continue ;;
      "") section= ; continue ;;
      [!\ ]*) section= ; continue ;;
    esac
    [[ $section == "$what" ]] || continue
    line=${line#"${line%%[! ]*}"}   # leading blanks
    local first=${line%%[ ]*}
    if [[ $what == commands ]]; then
      echo "$first"
    else
      local IFS=,
      local name
      for name in $first; do [[ $name == -* ]] && echo "${name%%=*}"; done
    fi
  done
}

_cairn() {
  local cur prev cmd= i
  cur=${COMP_WORDS[COMP_CWORD]}
  prev=${COMP_WORDS[COMP_CWORD - 1]}
  local cairn=${COMP_WORDS[0]}
  local commands
  commands=$(_cairn_help_words commands "$cairn" | tr '\n' ' ')
  for ((i = 1; i < COMP_CWORD; i++)); do
    if [[ " $commands " == *" ${COMP_WORDS[i]} "* ]]; then
      cmd=${COMP_WORDS[i]}
      break
    fi
  done

  case $prev in
    --dir | --out | --bundle | --pubkey | --key | --config)
      COMPREPLY=($(compgen -f -- "$cur"))
      compopt -o filenames 2>/dev/null
      return ;;
    -d | --database | --stream | --lock-timeout | --to | --steps | --server | --token)
      return ;;  # a value to type
    --tx)
      COMPREPLY=($(compgen -W "per-migration all none" -- "$cur"))
      return ;;
    --format)
      [[ -z $cmd || $cmd != export ]] &&
        COMPREPLY=($(compgen -W "cairn dbmate golang-migrate flyway diesel" -- "$cur"))
      return ;;
  esac

  if [[ $cmd == help ]]; then
    COMPREPLY=($(compgen -W "$commands" -- "$cur"))
  elif [[ $cur == -* ]]; then
    local opts
    # Global options are accepted after the command too.
    opts=$(_cairn_help_words options "$cairn")
    [[ -n $cmd ]] && opts+=" $(_cairn_help_words options "$cairn" "$cmd")"
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
  elif [[ -z $cmd ]]; then
    COMPREPLY=($(compgen -W "$commands" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
    compopt -o filenames 2>/dev/null
  fi
}
complete -F _cairn cairn
