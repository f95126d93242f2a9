/*
 * names.h — the names by which the Gofer re-opens the non-directories it
 * serves (gofer/names.c; the why is in gofer/server.c, "Opening a fid for
 * I/O").
 */
#ifndef VISOR_GOFER_NAMES_H
#define VISOR_GOFER_NAMES_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

struct gofer_node;

/* A directory that names of non-directories are in: one O_PATH fd of it,
 * shared by all of them (the fd keeps the inode, so its number is not
 * reused while the entry lives). */
struct gofer_dir {
	int fd;
	dev_t dev;
	ino_t ino;
	uint32_t refs;		 /* names */
	struct gofer_dir *hnext; /* hash chain */
};

/* A name of a non-directory: (directory, name in it). */
struct gofer_name {
	struct gofer_dir *dir; /* the directory: its fd, and its inode, by which
				* renames are matched without an fstat */
	char *name;
	struct gofer_node *node;   /* whose name it is */
	struct gofer_name *next;   /* the node's next name */
	struct gofer_name *hnext;  /* the chain of the names table, by (directory, name) */
	struct gofer_name **hpprev; /* what points at this one in that chain */
};

/* One host inode of a non-directory and the names it is known by, shared
 * by every fid of that inode: a name any of them learnt serves them all. */
struct gofer_node {
	dev_t dev;
	ino_t ino;
	uint32_t refs;            /* fids */
	uint32_t nnames;
	struct gofer_name *names; /* the last one that opened first */
	struct gofer_node *hnext; /* hash chain */
};

/* Every node, by (dev, ino), and every name, by (directory, name), so that
 * a rename finds the names it moves without looking at the others; and the
 * directories those names are in, by (dev, ino). */
struct gofer_names {
	struct gofer_node **nodes;
	struct gofer_name **names;
	struct gofer_dir **dirs;
};

/* 0, or -ENOMEM.  gofer_names_destroy frees the tables (the nodes are gone
 * with the fids that held them). */
int gofer_names_init(struct gofer_names *t);
void gofer_names_destroy(struct gofer_names *t);

/* The node of the inode st describes, with a new reference; NULL when out
 * of memory. */
struct gofer_node *gofer_node_get(struct gofer_names *t, const struct stat *st);
void gofer_node_put(struct gofer_names *t, struct gofer_node *n);
/* n is also known as name in the directory dirfd (whose inode is
 * pdev:pino).  0, or -errno when out of fds or memory (n keeps the names it
 * had). */
int gofer_node_add_name(struct gofer_names *t, struct gofer_node *n, int dirfd, dev_t pdev,
			ino_t pino, const char *name);
/* Drop the name *pp points at (in its node's list). */
void gofer_node_drop_name(struct gofer_names *t, struct gofer_name **pp);
/* Does nm still name n's inode?  0 yes, -ESTALE no (gone or another file),
 * another -errno when the Gofer cannot tell. */
int gofer_name_check(const struct gofer_node *n, const struct gofer_name *nm);
/* After renameat2(od/oname -> nd/nname) succeeded (od, nd: the directories'
 * O_PATH fds and inodes): the name moved now names its inode at the new
 * place; without exchange whatever nd/nname named has lost that name, with
 * it the two swap.  A name that cannot be moved (out of fds) is dropped. */
void gofer_names_renamed(struct gofer_names *t, int od, dev_t odev, ino_t oino,
			 const char *oname, int nd, dev_t ndev, ino_t nino, const char *nname,
			 bool exchange);

#endif
