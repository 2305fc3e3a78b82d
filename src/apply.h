/* apply.h: carry out a plan over netlink, and undo it when the kernel refuses a step. */
#ifndef BOXNET_APPLY_H
#define BOXNET_APPLY_H

#include "log.h"
#include "plan.h"

/* Returns 0, or -errno after the failure was reported to err and what was done undone. */
int apply(const struct config *c, struct state *st, const struct plan *p, struct log *err);
/* What op does, in words ("create namespace red"), for messages and status -j. */
void op_describe(const struct op *o, struct sbuf *s);

#endif
