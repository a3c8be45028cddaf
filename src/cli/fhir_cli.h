/*
 * fhir_cli.h - `peerlink import fhir`: FHIR NDJSON files (or directories of
 * them) into the store through src/fhir/fhir_import.h, with progress.
 */
#ifndef PL_CLI_FHIR_CLI_H
#define PL_CLI_FHIR_CLI_H

#define FHIR_CLI_USAGE "import fhir [--db FILE] [--unit UNIT_ID] FILE|DIR..."

/* argv[0] is "fhir"; returns the process exit code. */
int fhir_cli_import(int argc, char **argv);

#endif
