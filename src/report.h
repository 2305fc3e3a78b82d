/* report.h: status -j and plan -j as JSON, and show: the box for scripts and for people. */
#ifndef BOXNET_REPORT_H
#define BOXNET_REPORT_H

#include <stdio.h>

#include "plan.h"

enum obj_state { OBJ_OK, OBJ_MISSING, OBJ_DIFFERENT, OBJ_FOREIGN };

/* A config object's state (NULL: the box as a whole: table, forwarding, leftovers), from the
 * kernel's state and up's plan; what its ops would do goes to differs, a line each. */
enum obj_state report_state(const struct config *c, const struct state *st, const struct plan *p,
			    const struct obj *o, struct sbuf *differs);
/* status: each interface boxnet adopts (bridge ports, namespaces' links), a line each: where
 * it is and whether it is as configured; and records the config no longer names. */
void report_adopted(const struct config *c, const struct state *st, const struct plan *p, FILE *out);
void report_status_json(const struct config *c, const struct state *st, const struct plan *p, FILE *out);
/* -1 when out of memory: a command or description is missing. */
int report_plan_json(const struct plan *p, FILE *out);
void report_show(const struct config *c, const struct state *st, const struct plan *p, FILE *out);

#endif
