/*
 * demo_resources.h - the demo's community resource directories (Mi Salud in
 * Chicago, the Shanghai program) and a few referrals in every state of the
 * closed loop, written after the demo's participants (demo.c calls it).
 */
#ifndef PL_CLI_DEMO_RESOURCES_H
#define PL_CLI_DEMO_RESOURCES_H

#include "store/store.h"

typedef struct demo_resources_options {
    pl_id misalud_program;      /* 0: no Mi Salud directory */
    pl_id misalud_practice;     /* whose first participants get referrals */
    pl_id navigator_account;    /* who made them; 0 without accounts */
    pl_id shanghai_program;     /* 0: no Shanghai directory */
    pl_id shanghai_peer_leader; /* whose first participants get referrals; 0: none */
    pl_id peer_account;         /* who made them; 0 without accounts */
    pl_time now;
} demo_resources_options;

pl_status demo_resources_generate(store *s, const demo_resources_options *o, pl_err *err);

#endif
