/* report.c: the box as a monitoring script (status -j, plan -j) or a person (show) reads it. */
#include "report.h"

#include <stdlib.h>
#include <string.h>

#include "apply.h"

/* Each op's name in JSON, in enum op_type's order, one string: 200 bytes, not 20 rows of 14. */
static const char op_names[] = "forward_off\0nft_del\0netns_add\0link_park\0link_purge\0link_add\0link_set\0"
			       "addr_del\0addr_add\0net_route_add\0route_del\0route_add\0nft_load\0forward_on\0"
			       "netns_del\0dns_write\0dns_del\0adopt\0give_back\0link_move\0nft_offload\0";

/* The i-th name of such a list; "" past its end. */
static const char *list_nth(const char *list, unsigned i)
{
	for (; i && *list; i--)
		list += strlen(list) + 1;
	return list;
}

/* Names in arrays of their own, not pointers to them: smaller. */
static const char state_names[][10] = {"ok", "missing", "different", "foreign"};

/* ---- a small JSON writer: strings escaped, nothing else needs it ---- */

static void json_str(FILE *out, const char *s, size_t len)
{
	if (!s) {
		fputs("null", out);
		return;
	}
	putc('"', out);
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			fprintf(out, "\\u%04x", ch);
		else
			putc(ch, out);
	}
	putc('"', out);
}

static void json_key(FILE *out, const char *sep, const char *key, const char *s)
{
	fprintf(out, "%s\"%s\":", sep, key);
	json_str(out, s, s ? strlen(s) : 0);
}

/* The next field of an object: after a comma. */
static NOINLINE void json_next(FILE *out, const char *key, const char *s)
{
	json_key(out, ",", key, s);
}

/* Lines of text (conflicts, notes) as an array of strings. */
static void json_lines(FILE *out, const char *key, const char *text)
{
	fprintf(out, ",\"%s\":[", key);
	for (const char *nl, *sep = ""; (nl = strchr(text, '\n')); text = nl + 1, sep = ",") {
		fputs(sep, out);
		json_str(out, text, (size_t)(nl - text));
	}
	putc(']', out);
}

static void json_owner(FILE *out, const struct obj *o)
{
	if (!o) {
		fputs(",\"owner\":null", out);
		return;
	}
	json_key(out, ",\"owner\":{", "kind", conf_kinds[o->kind].name);
	json_next(out, "name", o->name);
	fprintf(out, ",\"line\":%u}", o->line);
}

/* ---- each config object's state, from the plan's ops and the kernel's state ---- */

/* Is something boxnet did not make where o wants its objects (plan's conflicts)? */
static NOINLINE bool obj_foreign(const struct config *c, const struct state *st, const struct obj *o)
{
	const struct link *l;
	const struct ns_state *where = &st->host;
	if (o->kind == KIND_BRIDGE)
		return (l = state_link(&st->host, o->name)) && !l->ours;
	if (o->kind == KIND_ROUTE) {
		/* A route to the same network with the same metric, not boxnet's (see plan_statics). */
		const struct sroute *r = (const struct sroute *)o;
		for (size_t i = 0; i < c->objs[KIND_NS].n; i++)
			if (conf_ns_at(c, i) == r->ns)
				where = &st->ns[i];
		const struct route *rt = route_like(where, r);
		return rt && rt->protocol != BOXNET_RTPROT;
	}
	for (size_t i = 0; i < c->objs[KIND_NS].n; i++) {
		const struct ns_state *ns = &st->ns[i];
		const struct netns *n = conf_ns_at(c, i);
		if (&n->o != o)
			continue;
		if ((ns->exists && !ns->ours) || (n->dns.n && ns->dns == DNS_FOREIGN))
			return true;
		const struct adopted *a = n->link[0] ? state_adopted(st, n->link) : NULL;
		if (((l = state_link(&st->host, n->hostif)) && !l->ours) ||
		    (ns->exists && (l = state_link(ns, n->ifname)) && !l->ours && !(a && !memcmp(link_mac(l), a->mac, 6))))
			return true;
		/* A default route not boxnet's, where boxnet wants one (see plan_route). */
		unsigned ours = 0, theirs = 0;	/* a bit per family */
		for (size_t k = 0; k < ns->nroutes; k++) {
			unsigned bit = ns->routes[k].dst.len ? 0 : 1u << fam(ns->routes[k].dst.family);
			if (ns->routes[k].protocol == BOXNET_RTPROT)
				ours |= bit;
			else
				theirs |= bit;
		}
		for (unsigned f = 0; f < FAM_COUNT; f++)
			if (n->gateway[f].family && (theirs & ~ours) >> f & 1)
				return true;
		return false;
	}
	return false;
}

enum obj_state report_state(const struct config *c, const struct state *st, const struct plan *p,
			    const struct obj *o, struct sbuf *differs)
{
	enum obj_state s = OBJ_OK;
	if (o ? obj_foreign(c, st, o) : st->table_exists && !st->table_ours)
		return OBJ_FOREIGN;
	/* A forward's or an opening's rules are in the table: its reload is theirs. */
	bool rules = o && (o->kind == KIND_FORWARD || o->kind == KIND_ALLOW);
	for (size_t i = 0; i < p->n; i++) {
		const struct op *op = &p->ops[i];
		if (op->owner != o && !(rules && op->type == OP_NFT_LOAD))
			continue;
		if (op->type == OP_NETNS_ADD || (op->type == OP_LINK_ADD && o && o->kind == KIND_BRIDGE))
			s = OBJ_MISSING;
		else if (s == OBJ_OK)
			s = OBJ_DIFFERENT;
		if (differs) {
			if (differs->len)
				sbuf_add(differs, "\n", 1);
			op_describe(op, differs);
		}
	}
	if (differs && differs->len)
		sbuf_add(differs, "\n", 1);
	return s;
}

static void json_obj(FILE *out, const char *sep, const struct config *c, const struct state *st,
		     const struct plan *p, const struct obj *o)
{
	struct sbuf differs = {0};
	enum obj_state s = report_state(c, st, p, o, &differs);
	json_key(out, sep, "kind", o ? conf_kinds[o->kind].name : "box");
	json_next(out, "name", o ? o->name : NULL);
	fprintf(out, ",\"line\":%u", o ? o->line : 0);
	json_next(out, "state", state_names[s]);
	json_lines(out, "differs", sbuf_str(&differs));
	putc('}', out);
	sbuf_free(&differs);
}

struct adoptee;
static void json_adoptee(FILE *out, const struct adoptee *e, bool first);
static void adoptees(const struct config *c, const struct state *st, const struct plan *p,
		     void (*each)(FILE *, const struct adoptee *, bool), FILE *out, int flag);

void report_status_json(const struct config *c, const struct state *st, const struct plan *p, FILE *out)
{
	const char *sep = "{";
	json_key(out, "{", "config", c->file);
	json_next(out, "state", p->nconflicts ? "conflicts" : p->n ? "changes" : "ok");
	json_next(out, "uplink", c->uplink[0] ? c->uplink : NULL);
	fprintf(out, ",\"uplink_present\":%s,\"offload\":", c->uplink[0] && state_link(&st->host, c->uplink) ? "true" : "false");
	/* The kernel's flowtable: the interfaces on the fast path now, or null */
	const struct nft_ft_copy *ft = st->table_ours && st->table.nfts ? &st->table.fts[0] : NULL;
	for (size_t i = 0; ft && i < ft->ndevs; i++) {
		fputs(i ? "," : "[", out);
		json_str(out, ft->devs[i], strnlen(ft->devs[i], sizeof(ft->devs[i])));
	}
	fputs(!ft ? "null" : ft->ndevs ? "]" : "[]", out);
	fputs(",\"objects\":[", out);
	for (int k = KIND_GLOBAL + 1; k < KIND_COUNT; k++)
		for (size_t i = 0; i < c->objs[k].n; i++, sep = ",{")
			json_obj(out, sep, c, st, p, c->objs[k].v[i]);
	/* The table, forwarding and leftovers: the box as a whole, no config line of its own. */
	json_obj(out, sep, c, st, p, NULL);
	fputs("],\"adopted\":[", out);
	adoptees(c, st, p, json_adoptee, out, -1);
	putc(']', out);
	json_lines(out, "conflicts", sbuf_str(&p->conflicts));
	json_lines(out, "notes", sbuf_str(&p->notes));
	fputs("}\n", out);
}

/* ---- adopted interfaces: bridge ports and namespaces' links, where they are now ---- */

/* One interface the config adopts (owner set) or a record it no longer names (owner NULL):
 * where it is (its bridge, its namespace, and its name there), and what up would do to it. */
struct adoptee {
	const char *name;
	const struct obj *owner;
	const struct adopted *rec;
	const char *master, *ns, *ifname;	/* ifname NULL: not found */
	enum obj_state state;
	struct sbuf differs;
};

static void adoptee_find(const struct config *c, const struct state *st, const struct plan *p, struct adoptee *e)
{
	const struct netns *n = e->owner && e->owner->kind == KIND_NS ? (const struct netns *)e->owner : NULL;
	if (n && strcmp(n->link, e->name))
		n = NULL;	/* a macvlan's parent stays on the host */
	const struct ns_state *in = NULL, *at = &st->host;	/* its namespace; where it is */
	const struct link *l = state_link(&st->host, e->name);
	for (size_t i = 0; n && i < c->objs[KIND_NS].n; i++)
		if (conf_ns_at(c, i) == n && st->ns[i].exists)
			in = &st->ns[i];
	/* Inside its namespace: under the namespace's name for it, with its record's address. */
	const struct link *m = in ? state_link(in, n->ifname) : NULL;
	for (size_t i = 0; !m && in && e->rec && i < in->nlinks; i++)	/* renamed there */
		if (!memcmp(link_mac(&in->links[i]), e->rec->mac, 6))
			m = &in->links[i];
	if (m && !m->ours && e->rec && !memcmp(link_mac(m), e->rec->mac, 6)) {
		l = m;
		at = in;
		e->ns = n->o.name;
	}
	/* A record the config no longer names: on the host with its address, or in the
	 * namespace the record says. */
	if (!e->owner && l && memcmp(link_mac(l), e->rec->mac, 6))
		l = NULL;
	for (size_t i = 0; !e->owner && !l && e->rec->ns[0] && i < st->nns + st->nstale; i++) {
		const struct ns_state *s = i < st->nns ? &st->ns[i] : &st->stale[i - st->nns];
		for (size_t k = 0; s->exists && !strcmp(s->name, e->rec->ns) && k < s->nlinks; k++)
			if (!memcmp(link_mac(&s->links[k]), e->rec->mac, 6)) {
				l = &s->links[k];
				at = s;
				e->ns = s->name;
			}
	}
	const struct link *br = l ? state_link_by_index(at, l->master) : NULL;
	e->ifname = l ? l->name : NULL;
	e->master = l && l->master && br ? br->name : NULL;
	e->state = l ? OBJ_OK : OBJ_MISSING;
	for (size_t i = 0; i < p->n; i++) {
		const struct op *o = &p->ops[i];
		bool host = !o->where->name && o->ifname && (!strcmp(o->ifname, e->name) || (l && !e->ns && o->index == l->index));
		bool inside = in && o->where == in &&
			      ((o->type == OP_LINK_SET && !strcmp(o->ifname, n->ifname)) || o->type == OP_LINK_MOVE);
		if ((e->rec && o->rec == e->rec) ||
		    (host && (o->type == OP_LINK_SET || o->type == OP_LINK_MOVE)) || inside) {
			if (e->state == OBJ_OK)
				e->state = OBJ_DIFFERENT;
			op_describe(o, &e->differs);
			sbuf_add(&e->differs, "\n", 1);
		}
	}
}

/* What adoptees() hands each adopted interface to. */
struct walk {
	const struct config *c;
	const struct state *st;
	const struct plan *p;
	void (*each)(FILE *, const struct adoptee *, bool);
	FILE *out;
	int flag;
	bool first;
};

/* One adopted interface, found and handed to each: of owner, with its record unless this
 * plan makes it; or, owner NULL, a record the config no longer names. */
static void walk_one(struct walk *w, const char *name, const struct obj *owner, const struct adopted *rec)
{
	if (owner && (rec = state_adopted(w->st, name)) && rec->fresh)
		rec = NULL;
	struct adoptee e = {.name = name, .owner = owner, .rec = rec};
	adoptee_find(w->c, w->st, w->p, &e);
	w->each(w->out, &e, w->first);
	w->first = w->flag > 0;
	sbuf_free(&e.differs);
}

/* Calls each with every adopted interface, the config's first, then records no longer named;
 * its flag: flag's value (0 or 1), or with flag -1, whether it is the first (JSON's comma). */
static void adoptees(const struct config *c, const struct state *st, const struct plan *p,
		     void (*each)(FILE *, const struct adoptee *, bool), FILE *out, int flag)
{
	struct walk w = {c, st, p, each, out, flag, flag != 0};
	/* A vlan is boxnet's own, not adopted. */
	for (size_t i = 0; i < c->objs[KIND_BRIDGE].n; i++)
		for (unsigned j = 0; j < conf_bridge_at(c, i)->ports.n; j++)
			if (!conf_vlan(c, conf_bridge_at(c, i)->ports.v[j]))
				walk_one(&w, conf_bridge_at(c, i)->ports.v[j], &conf_bridge_at(c, i)->o, NULL);
	for (size_t i = 0; i < c->objs[KIND_NS].n; i++)
		if (conf_ns_at(c, i)->link[0] && !conf_vlan(c, conf_ns_at(c, i)->link))
			walk_one(&w, conf_ns_at(c, i)->link, &conf_ns_at(c, i)->o, NULL);
	/* Then the records of parents boxnet brought up, and of what the config no longer names. */
	for (size_t i = 0; i < st->nadopted; i++) {
		const struct adopted *a = &st->adopted[i];
		const struct obj *owner = NULL;
		if (!a->fresh && adopts(c, a->name, &owner) != 2)
			walk_one(&w, a->name, owner, a);
	}
}

static void json_adoptee(FILE *out, const struct adoptee *e, bool first)
{
	json_key(out, first ? "{" : ",{", "name", e->name);
	json_owner(out, e->owner);
	json_next(out, "interface", e->ifname);
	json_next(out, "master", e->master);
	json_next(out, "namespace", e->ns);
	fprintf(out, ",\"recorded\":%s", e->rec ? "true" : "false");
	json_next(out, "state", state_names[e->state]);
	json_lines(out, "differs", sbuf_str(&e->differs));
	putc('}', out);
}

/* Ends a line with a state: "ok", or what differs, a line of differs each. */
static void end_line(FILE *out, enum obj_state s, const struct sbuf *differs)
{
	fprintf(out, "  %s", state_names[s]);
	if (s == OBJ_FOREIGN)
		fputs(": something boxnet did not create is in the way", out);
	for (const char *t = sbuf_str(differs), *nl, *sep = ": "; (nl = strchr(t, '\n')); t = nl + 1, sep = "; ")
		fprintf(out, "%s%.*s", sep, (int)(nl - t), t);
	putc('\n', out);
}

/* comment: the lines follow a plan's script, as shell comments. */
static void text_adoptee(FILE *out, const struct adoptee *e, bool comment)
{
	fprintf(out, "%sadopted %s: ", comment ? "# " : "", e->name);
	if (!e->owner)
		fputs("no longer configured, ", out);
	else
		fprintf(out, "%s of %s %s, ", e->owner->kind == KIND_BRIDGE ? "port" : e->owner->kind == KIND_VLAN ||
			((const struct netns *)e->owner)->macvlan[0] ? "parent" : "link",
			conf_kinds[e->owner->kind].name, e->owner->name);
	if (!e->ifname)
		fputs("not found", out);
	else if (e->ns)
		fprintf(out, "in namespace %s as %s", e->ns, e->ifname);
	else
		fprintf(out, "on the host as %s", e->ifname);
	if (e->master)
		fprintf(out, ", in bridge %s", e->master);
	end_line(out, e->state, &e->differs);
}

void report_adopted(const struct config *c, const struct state *st, const struct plan *p, FILE *out)
{
	/* After the script of what up would change, comments: status | sh still runs. */
	adoptees(c, st, p, text_adoptee, out, p->n != 0);
}

int report_plan_json(const struct plan *p, FILE *out)
{
	bool oom = false;
	putc('[', out);
	for (size_t i = 0; i < p->n; i++) {
		const struct op *o = &p->ops[i];
		struct sbuf does = {0}, cmd = {0};
		plan_print_op(p, o, &cmd);
		op_describe(o, &does);
		json_key(out, i ? ",{" : "{", "type", list_nth(op_names, o->type));
		json_next(out, "namespace", o->where->name);
		json_next(out, "interface", o->ifname);
		json_owner(out, o->owner);
		json_next(out, "does", sbuf_str(&does));
		fputs(",\"command\":", out);
		json_str(out, sbuf_str(&cmd), cmd.len);
		putc('}', out);
		oom |= does.oom || cmd.oom;
		sbuf_free(&does);
		sbuf_free(&cmd);
	}
	fputs("]\n", out);
	return oom ? -1 : 0;
}

/* ---- show: one line per segment and per namespace ---- */

static void addrs(FILE *out, const struct prefix *v, unsigned n)
{
	char a[IP_STRLEN];
	for (unsigned i = 0; i < n; i++)
		fprintf(out, " %s", prefix_str(&v[i], a));
	if (!n)
		fputs(" (no address)", out);
}

/* What show prints, and where. */
struct show {
	FILE *out;
	const struct config *c;
	const struct state *st;
	const struct plan *p;
};

/* Ends a line with the object's state: "ok", or what differs. */
static void verdict(const struct show *s, const struct obj *o)
{
	struct sbuf differs = {0};
	end_line(s->out, report_state(s->c, s->st, s->p, o, &differs), &differs);
	sbuf_free(&differs);
}

static void show_ns(const struct show *s, const struct netns *n)
{
	FILE *out = s->out;
	char a[IP_STRLEN];
	fprintf(out, "  ns %s: %s", n->o.name, n->ifname);
	addrs(out, n->addrs.v, n->addrs.n);
	const char *sep = ", gateway";
	for (unsigned f = 0; f < FAM_COUNT; f++) {
		if (n->gateway[f].family) {
			fprintf(out, "%s %s", sep, ip_str(&n->gateway[f], a));
			sep = " and";
		}
	}
	if (*sep == ',')
		fputs(", no gateway", out);
	if (n->forwarding > 0)
		fputs(", forwarding", out);
	verdict(s, &n->o);
}

void report_show(const struct config *c, const struct state *st, const struct plan *p, FILE *out)
{
	static const char onoff[][8] = {"unknown", "off", "on"};
	const struct show s = {out, c, st, p};
	fprintf(out, "box %s: uplink %s%s, forwarding %s", c->file, c->uplink[0] ? c->uplink : "(none)",
		c->uplink[0] && !state_link(&st->host, c->uplink) ? " (missing)" : "",
		onoff[st->ip_forward[FAM_V4] < 0 ? 0 : st->ip_forward[FAM_V4] + 1]);
	if (c->forwarding[FAM_V6])
		fprintf(out, ", IPv6 forwarding %s", onoff[st->ip_forward[FAM_V6] < 0 ? 0 : st->ip_forward[FAM_V6] + 1]);
	/* The kernel's flowtable, when the config wants one or the table has it */
	const struct nft_ft_copy *ft = st->table_ours && st->table.nfts ? &st->table.fts[0] : NULL;
	if (c->offload > 0 || ft)
		fprintf(out, ", offload %s", ft ? "on" : "off");
	for (size_t i = 0; ft && i < ft->ndevs; i++)
		fprintf(out, "%s%.16s", i ? " " : " (", ft->devs[i]);
	if (ft && ft->ndevs)
		putc(')', out);
	verdict(&s, NULL);
	for (size_t i = 0; i < c->nsegs; i++) {
		const struct segment *sg = &c->segs[i];
		const struct bridge *b = sg->bridged ? conf_bridge(c, sg->ifname) : NULL;
		fprintf(out, "%s %s:", b ? "bridge" : "peer", sg->ifname);
		addrs(out, sg->nets, sg->nnets);
		static const char nat[][5] = {"off", "ipv4", "ipv6", "on"};
		fprintf(out, ", nat %s, isolate %s", nat[sg->masquerade & MASQ_ALL], sg->isolate ? "on" : "off");
		if (b)
			verdict(&s, &b->o);
		else
			putc('\n', out);
		for (size_t k = 0; k < c->objs[KIND_NS].n; k++) {
			const struct netns *n = conf_ns_at(c, k);
			if (b ? n->bridge == b : n->has_peer && !strcmp(n->hostif, sg->ifname))
				show_ns(&s, n);
		}
	}
	for (size_t k = 0; k < c->objs[KIND_NS].n; k++)
		if (!conf_ns_at(c, k)->bridge && !conf_ns_at(c, k)->has_peer)
			show_ns(&s, conf_ns_at(c, k));
	/* Forwards and openings: their keys as written. */
	for (int k = KIND_FORWARD; k <= KIND_ALLOW; k++) {
		for (size_t i = 0; i < c->objs[k].n; i++) {
			const struct obj *o = c->objs[k].v[i];
			const char *sep = ":";
			fprintf(out, "%s %s", conf_kinds[k].name, o->name);
			for (int key = 0; key < KEY_COUNT; key++) {
				if (conf_keys[key].kind == (enum kind)k && o->raw[key]) {
					fprintf(out, "%s %s %s", sep, conf_keys[key].attr, o->raw[key]);
					sep = ",";
				}
			}
			verdict(&s, o);
		}
	}
	adoptees(c, st, p, text_adoptee, out, 0);
}
