/*
 * vdso_blob.S — the built vDSO (Makefile: $(VDSO_SO), from image/) embedded
 * in the visor binary, page aligned, between vdso_image_start and
 * vdso_image_end.  The Sentry copies it into the memory file (vdso.c); it
 * never maps the host's own vDSO into the app.
 */
	.section .rodata.vdso_image, "a"
	.balign 4096
	.globl vdso_image_start
	.globl vdso_image_end
vdso_image_start:
	.incbin VDSO_SO
vdso_image_end:
	.previous
	.section .note.GNU-stack, "", @progbits
