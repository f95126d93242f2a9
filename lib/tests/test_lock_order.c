/*
 * Unit tests for lib/lock_order.h: the lock order written once.
 *
 * The order exists twice, as prose for people (the table in
 * sentry/LOCKING.md) and as code (LOCK_ORDER in lib/lock_order.h).  These
 * tests parse the table and fail when the two disagree on a class, a name,
 * a rank or the order, so neither can drift from the other.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/lockdep.h"

#ifndef VISOR_SOURCE_DIR
#define VISOR_SOURCE_DIR "."
#endif

#define BEGIN_MARK "<!-- lock-order:begin"
#define END_MARK "<!-- lock-order:end"
#define MAX_ROWS 128

struct order_row {
	int rank;
	char id[64];
	char name[96];
};

static const struct order_row header_rows[] = {
#define LOCK_ORDER_ROW(id_, rank_, name_) {rank_, #id_, name_},
    LOCK_ORDER(LOCK_ORDER_ROW)
#undef LOCK_ORDER_ROW
};
#define NHEADER (sizeof(header_rows) / sizeof(header_rows[0]))

/* Copy one table cell, trimmed and without its `code` quotes. */
static void cell_text(const char *start, const char *end, char *out, size_t size)
{
	while (start < end && (isspace((unsigned char)*start) || *start == '`'))
		start++;
	while (end > start && (isspace((unsigned char)end[-1]) || end[-1] == '`'))
		end--;
	size_t n = (size_t)(end - start);
	if (n >= size)
		n = size - 1;
	memcpy(out, start, n);
	out[n] = '\0';
}

/* The rows of LOCKING.md's order table: lines between the markers whose
 * first cell is a number (the header and separator lines are not).  Cells
 * are rank | class | lock | ...; the lock cell may say "(recursive)" after
 * the name.  Returns the row count, or -1 when the file or a marker is
 * missing. */
static int parse_locking_md(const char *path, struct order_row *rows, int max)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	char line[2048];
	bool in_table = false, seen_end = false;
	int n = 0;
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, BEGIN_MARK)) {
			in_table = true;
			continue;
		}
		if (strstr(line, END_MARK)) {
			seen_end = in_table;
			break;
		}
		if (!in_table || line[0] != '|')
			continue;
		const char *cells[4];
		int nc = 0;
		for (const char *p = line; *p && nc < 4; p++)
			if (*p == '|')
				cells[nc++] = p + 1;
		if (nc < 4)
			continue;
		char rank[16];
		cell_text(cells[0], cells[1] - 1, rank, sizeof(rank));
		if (!rank[0] || strspn(rank, "0123456789") != strlen(rank))
			continue;
		if (n == max)
			break;
		rows[n].rank = atoi(rank);
		cell_text(cells[1], cells[2] - 1, rows[n].id, sizeof(rows[n].id));
		cell_text(cells[2], cells[3] - 1, rows[n].name, sizeof(rows[n].name));
		char *qual = strstr(rows[n].name, "` (");
		if (qual)
			*qual = '\0';
		n++;
	}
	fclose(f);
	return seen_end ? n : -1;
}

static void test_locking_md_table_matches_lock_order_header(void **state)
{
	static struct order_row doc[MAX_ROWS];
	const char *path = VISOR_SOURCE_DIR "/sentry/LOCKING.md";
	int n = parse_locking_md(path, doc, MAX_ROWS);
	if (n < 0)
		fail_msg("cannot read the order table (between the lock-order markers) of %s",
			 path);
	for (size_t i = 0; i < NHEADER || i < (size_t)n; i++) {
		if (i >= (size_t)n)
			fail_msg("lib/lock_order.h has %s (rank %d) after LOCKING.md's table ends",
				 header_rows[i].id, header_rows[i].rank);
		if (i >= NHEADER)
			fail_msg("LOCKING.md's table has %s (rank %d) after lib/lock_order.h ends",
				 doc[i].id, doc[i].rank);
		const struct order_row *h = &header_rows[i], *d = &doc[i];
		if (strcmp(h->id, d->id) || h->rank != d->rank || strcmp(h->name, d->name))
			fail_msg(
			    "row %zu differs: lib/lock_order.h has %s %d \"%s\", LOCKING.md has "
			    "%s %d \"%s\"",
			    i + 1, h->id, h->rank, h->name, d->id, d->rank, d->name);
	}
}

static void test_ranks_increase_down_the_list(void **state)
{
	for (size_t i = 1; i < NHEADER; i++)
		if (header_rows[i].rank <= header_rows[i - 1].rank)
			fail_msg("%s (rank %d) does not come after %s (rank %d)", header_rows[i].id,
				 header_rows[i].rank, header_rows[i - 1].id,
				 header_rows[i - 1].rank);
}

/* Reports name locks by class name: two classes must not share one. */
static void test_class_names_are_unique(void **state)
{
	for (size_t i = 0; i < NHEADER; i++)
		for (size_t j = 0; j < i; j++)
			if (!strcmp(header_rows[i].name, header_rows[j].name))
				fail_msg("%s and %s are both named \"%s\"", header_rows[j].id,
					 header_rows[i].id, header_rows[i].name);
}

/* LOCK_CLASS(ID) is what locks are initialised with: the class objects must
 * carry the header's names and ranks. */
static void test_lock_class_objects_carry_name_and_rank(void **state)
{
	const struct lock_class *classes[] = {
#define LOCK_ORDER_CLASS(id_, rank_, name_) LOCK_CLASS(id_),
	    LOCK_ORDER(LOCK_ORDER_CLASS)
#undef LOCK_ORDER_CLASS
	};
	assert_int_equal(sizeof(classes) / sizeof(classes[0]), NHEADER);
	for (size_t i = 0; i < NHEADER; i++) {
		assert_string_equal(classes[i]->name, header_rows[i].name);
		assert_int_equal(classes[i]->rank, header_rows[i].rank);
	}
	assert_int_equal(LOCK_CLASS(MM)->rank, LOCK_MM);
	assert_true(LOCK_TASKS < LOCK_SIGLOCK && LOCK_SIGLOCK < LOCK_MM && LOCK_MM < LOCK_MEMFILE);
}

/* The parser itself: a table that drifted is seen as drifted. */
static void test_parser_reads_rows_and_skips_header_lines(void **state)
{
	char path[] = "/tmp/visor-lockorder-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fputs("# t\n| 1 | `NOT` | `in table` | x |\n" BEGIN_MARK " -->\n"
	      "| rank | class | lock | lives in |\n|---:|---|---|---|\n"
	      "| 10 | `A` | `a->lock` | x |\n"
	      "| 20 | `B` | `vfs_tree_lock` (recursive) | y |\n" END_MARK " -->\n"
	      "| 30 | `C` | `after` | z |\n",
	      f);
	fclose(f);
	struct order_row rows[8];
	int n = parse_locking_md(path, rows, 8);
	unlink(path);
	assert_int_equal(n, 2);
	assert_int_equal(rows[0].rank, 10);
	assert_string_equal(rows[0].id, "A");
	assert_string_equal(rows[0].name, "a->lock");
	assert_int_equal(rows[1].rank, 20);
	assert_string_equal(rows[1].id, "B");
	assert_string_equal(rows[1].name, "vfs_tree_lock");
	assert_int_equal(parse_locking_md("/nonexistent/LOCKING.md", rows, 8), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_locking_md_table_matches_lock_order_header),
	    cmocka_unit_test(test_ranks_increase_down_the_list),
	    cmocka_unit_test(test_class_names_are_unique),
	    cmocka_unit_test(test_lock_class_objects_carry_name_and_rank),
	    cmocka_unit_test(test_parser_reads_rows_and_skips_header_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
