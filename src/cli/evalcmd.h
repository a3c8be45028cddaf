/*
 * evalcmd.h - the evaluation subcommands of `peerlink` (evalcmd.c): study,
 * report and export research. main.c lists them in its command table.
 */
#ifndef PL_CLI_EVALCMD_H
#define PL_CLI_EVALCMD_H

#define EVALCMD_STUDY_USAGE                                                                        \
    "study create --program ID|CODE --name NAME [--description TEXT] [--waves M:D,...]\n"          \
    "             [--target-intervention N] [--target-control N] [--threshold HBA1C]\n"            \
    "             [--arms-from-org-units] [--db FILE]\n"                                           \
    "       study list [--db FILE]\n"                                                              \
    "       study show|flow --study ID [--db FILE]\n"                                              \
    "       study arms --study ID --csv FILE [--db FILE]\n"                                        \
    "       study randomise --study ID --seed N --control K [--db FILE]"
#define EVALCMD_REPORT_USAGE                                                                       \
    "report --study ID [--format html|json|csv] [--out FILE] [--timing] [--db FILE]"
#define EVALCMD_EXPORT_USAGE "export research --study ID --dir DIR [--db FILE]"

int evalcmd_study(int argc, char **argv);
int evalcmd_report(int argc, char **argv);
int evalcmd_export(int argc, char **argv);

#endif
