/*
 * hsds_cli.h - `peerlink import hsds` and `peerlink export hsds`: the
 * community resource directory of a program from and to HSDS 3 JSON files
 * (docs/RESOURCES.md, docs/CLI.md).
 */
#ifndef PL_CLI_HSDS_CLI_H
#define PL_CLI_HSDS_CLI_H

#include <stdio.h>

#include "store/store.h"

/*
 * Reads every file (each at most HSDS_MAX_BYTES), then writes them all in
 * one transaction with an audit event, or nothing when any file is refused.
 * Prints what was created, updated and not kept to out, problems to
 * stderr. Returns the exit code: 0, 1 (refused or failed).
 */
int hsds_cli_import(store *s, pl_id program_id, char **files, int nfiles, FILE *out);

/* Writes the program's directory as HSDS JSON to out. Returns the exit code. */
int hsds_cli_export(store *s, pl_id program_id, FILE *out);

#endif
