/* diag.c: collect configuration errors and print them sorted by line. */
#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Binary junk can produce an error per line; past this many, only the count is useful. */
enum { DIAG_KEEP = 100 };

/* Once full, the message with the highest line makes room for one with a lower line: what is
 * shown is always the first errors of the file. */
static struct diag_msg *slot(struct diag *d, unsigned line)
{
	if (d->n < DIAG_KEEP)
		return grow(&d->msgs, &d->cap, d->n + 1, sizeof(*d->msgs)) ? NULL : &d->msgs[d->n++];
	struct diag_msg *last = &d->msgs[0];
	for (size_t i = 1; i < d->n; i++)
		if (d->msgs[i].line >= last->line)
			last = &d->msgs[i];
	if (last->line <= line)
		return NULL;
	free(last->text);
	last->text = NULL;
	return last;
}

void diag_err(struct diag *d, unsigned line, const char *fmt, ...)
{
	d->errors++;
	struct diag_msg *m = slot(d, line);
	if (!m)
		return;
	struct sbuf s = {0};
	va_list ap;
	va_start(ap, fmt);
	sbuf_vaddf(&s, fmt, ap);
	va_end(ap);
	*m = (struct diag_msg){.line = line, .order = d->errors, .text = s.oom ? NULL : s.buf};
	if (s.oom)
		sbuf_free(&s);
}

static void say_escaped(struct log *out, const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '\r')
			log_say(out, "\\r");
		else if (ch < 0x20 || ch >= 0x7f)
			log_say(out, "\\x%02x", ch);
		else
			log_say(out, "%c", ch);
	}
}

void put_escaped(FILE *out, const char *s)
{
	say_escaped(&(struct log){.out = out, .kmsg = -1}, s);
}

static int by_line(const void *a, const void *b)
{
	const struct diag_msg *x = a, *y = b;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

unsigned diag_print(struct diag *d, struct log *out)
{
	if (d->n)
		qsort(d->msgs, d->n, sizeof(*d->msgs), by_line);
	for (size_t i = 0; i < d->n; i++) {
		say_escaped(out, d->file);
		if (d->msgs[i].line)
			log_say(out, ":%u", d->msgs[i].line);
		log_say(out, ": ");
		say_escaped(out, d->msgs[i].text ? d->msgs[i].text : "out of memory");
		log_say(out, "\n");
	}
	if (d->errors > d->n)
		log_say(out, "%s: %u more errors not shown\n", d->file, d->errors - (unsigned)d->n);
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
