/*
 * cli.h - what every `peerlink` subcommand shares: exit codes, the one-line
 * error, number parsing and the default database path.
 *
 * main.c dispatches; evalcmd.c and hsds_cli.c implement their commands with
 * these, so every command fails, parses and defaults the same way.
 */
#ifndef PL_CLI_CLI_H
#define PL_CLI_CLI_H

enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

#define CLI_DEFAULT_DB "peerlink.db"

/* Prints "peerlink: <message>" on stderr and returns code. */
int cli_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Parses a whole decimal number in [lo, hi]: 0, or -1 when it is not one. */
int cli_parse_long(const char *s, long lo, long hi, long *out);
/* $PEERLINK_DB, else CLI_DEFAULT_DB. */
const char *cli_default_db(void);

#endif
