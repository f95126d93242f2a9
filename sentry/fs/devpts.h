/*
 * devpts.h — pseudo-terminals: /dev/ptmx makes a pair, the slave shows as
 * /dev/pts/N (N >= 1) in the pts directory devfs registers.
 */
#ifndef VISOR_SENTRY_FS_DEVPTS_H
#define VISOR_SENTRY_FS_DEVPTS_H

struct inode;

/* devfs: new slave nodes go into this tmpfs directory (a reference is kept). */
void devpts_set_dir(struct inode *dir);
/* Register the character devices 5,2 (/dev/ptmx: a new pair, its master
 * opened) and 136,N for N >= 1 (the slave of pty N: -EIO while locked by
 * TIOCSPTLCK or hung up, -ENXIO for no such pty). */
int devpts_register(void);

#endif
