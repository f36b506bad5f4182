/* cmd.h: the subcommands. Each cmd_<name>.c parses its own flags (with
 * flags.h), wires modules together and returns an exit code from
 * exitcode.h. argv[0] is the subcommand's name. */
#ifndef MESHPERF_CMD_H
#define MESHPERF_CMD_H

int cmd_load(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_results(int argc, char **argv);
int cmd_certs(int argc, char **argv);
int cmd_render(int argc, char **argv);

#endif
