/*
 * commands.h -- the daneprobe CLI's commands, one cmd_*.c file each.
 * Each takes argv with argv[0] = the command name and returns the exit
 * status.
 */
#ifndef DANEPROBE_COMMANDS_H
#define DANEPROBE_COMMANDS_H

#include <stdbool.h>
#include <stdio.h>

enum { EXIT_USAGE = 3 };

int cmd_check(int argc, char **argv);
void cmd_check_usage(FILE *out);

int cmd_tlsa(int argc, char **argv);
void cmd_tlsa_usage(FILE *out);

int cmd_exporter(int argc, char **argv);
void cmd_exporter_usage(FILE *out);

int cmd_rollover(int argc, char **argv);
void cmd_rollover_usage(FILE *out);
/* One subcommand's help ("plan", "check", "status"), or all of it for
 * NULL; 0, or 3 with a message for an unknown subcommand. */
int cmd_rollover_help(FILE *out, const char *sub);

/* rollover run|stage|publish|wait|switch|retire, and status --state:
 * the procedure (cmd_autoroll.c); cmd_rollover() hands them over. */
bool cmd_autoroll_wants(int argc, char **argv);
int cmd_autoroll(int argc, char **argv);
void cmd_autoroll_help(FILE *out);

#endif
