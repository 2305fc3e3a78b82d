/* diag.h: configuration errors, collected with their line numbers and reported together. */
#ifndef BOXNET_DIAG_H
#define BOXNET_DIAG_H

#include <stdio.h>

#include "log.h"
#include "util.h"

struct diag_msg {
	unsigned line;	/* 0: about the whole file */
	unsigned order;
	char *text;
};

struct diag {
	const char *file;	/* the name shown in messages */
	struct diag_msg *msgs;
	size_t n, cap;
	unsigned errors;
};

void diag_err(struct diag *d, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Prints every message as FILE:LINE: text, sorted by line; returns the number printed. */
unsigned diag_print(struct diag *d, struct log *out);
void diag_free(struct diag *d);
/* Writes s with control and non-ASCII bytes escaped (\r, \x1b), so messages stay readable. */
void put_escaped(FILE *out, const char *s);

#endif
