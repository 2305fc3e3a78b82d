/* diag.c: collect configuration errors and print them sorted by line. */
#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Binary junk can produce an error per line; past this many, only the count is useful. */
enum { DIAG_KEEP = 100 };

void diag_err(struct diag *d, unsigned line, const char *fmt, ...)
{
	d->errors++;
	if (d->n >= DIAG_KEEP || grow(&d->msgs, &d->cap, d->n + 1, sizeof(*d->msgs)))
		return;
	struct sbuf s = {0};
	va_list ap;
	va_start(ap, fmt);
	sbuf_vaddf(&s, fmt, ap);
	va_end(ap);
	if (s.oom) {
		sbuf_free(&s);
		return;
	}
	d->msgs[d->n++] = (struct diag_msg){.line = line, .order = d->errors, .text = s.buf};
}

static int by_line(const void *a, const void *b)
{
	const struct diag_msg *x = a, *y = b;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

unsigned diag_print(struct diag *d, FILE *out)
{
	qsort(d->msgs, d->n, sizeof(*d->msgs), by_line);
	for (size_t i = 0; i < d->n; i++) {
		if (d->msgs[i].line)
			fprintf(out, "%s:%u: %s\n", d->file, d->msgs[i].line, d->msgs[i].text);
		else
			fprintf(out, "%s: %s\n", d->file, d->msgs[i].text);
	}
	if (d->errors > d->n)
		fprintf(out, "%s: %u more errors not shown\n", d->file, d->errors - (unsigned)d->n);
	return (unsigned)d->n;
}

void diag_free(struct diag *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->msgs[i].text);
	free(d->msgs);
	d->msgs = NULL;
	d->n = d->cap = 0;
}
