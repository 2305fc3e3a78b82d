/* fuzz_conf.c: libFuzzer harness: any bytes through the parser, the validator, the rules
 * and the plan printer, as boxnet check and plan would run them. */
#include <stdio.h>

#include "conf.h"
#include "plan.h"
#include "rules.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static FILE *null;
	struct config c = {.file = "fuzz.conf"};
	struct diag d = {.file = "fuzz.conf"};

	if (!null)
		null = fopen("/dev/null", "w");
	conf_parse(&c, (const char *)data, size, &d);
	conf_validate(&c, &d);
	diag_print(&d, &(struct log){.out = null, .kmsg = -1});
	if (!d.errors) {
		struct state st;
		struct plan p = {0};
		if (state_init(&st, &c) == 0 && plan_up(&p, &c, &st) == 0)
			plan_print(&p, &c, "fuzz", null);
		plan_free(&p);
		state_free(&st);
	}
	diag_free(&d);
	conf_free(&c);
	return 0;
}
