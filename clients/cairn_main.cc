// cairn: the command-line client. The commands live in cmd_*.cc.
#include "cli/cli.h"

int main(int argc, char** argv) { return cairn::cli::CliMain(argc, argv); }
