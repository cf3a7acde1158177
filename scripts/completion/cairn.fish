# fish completion for cairn. Installed as
# share/fish/vendor_completions.d/cairn.fish (docs/install.md).
# The commands and options are read from `cairn --help` and
# `cairn COMMAND --help`, so they always match the installed binary.

function __cairn_help_words
    # $argv[1]: "options" or "commands"; the rest: the cairn command line to ask.
    set -l what $argv[1]
    set -l section
    command -q $argv[2]; or return
    $argv[2..-1] --help 2>/dev/null | while read -l line
        if string match -qr '^(Options|OPTIONS):' -- $line
            set section options
            continue
        else if string match -qr '^(Subcommands|SUBCOMMANDS):' -- $line
            set section commands
            continue
        else if test -z "$line"; or string match -qr '^\S' -- $line
            set section
            continue
        end
        test "$section" = "$what"; or continue
        set -l first (string split -m1 ' ' -- (string trim -l -- $line))[1]
        if test $what = commands
            echo $first
        else
            for name in (string split ',' -- $first)
                string match -q -- '-*' $name; and echo (string split -m1 '=' -- $name)[1]
            end
        end
    end
end

function __cairn_complete
    set -l tokens (commandline -opc)
    set -l cairn $tokens[1]
    set -l commands (__cairn_help_words commands $cairn)
    set -l cmd
    for t in $tokens[2..-1]
        if contains -- $t $commands
            set cmd $t
            break
        end
    end
    if string match -q -- '-*' (commandline -ct)
        __cairn_help_words options $cairn $cmd
    else if test -z "$cmd"
        printf '%s\n' $commands
    end
end

complete -c cairn -f -a '(__cairn_complete)'
