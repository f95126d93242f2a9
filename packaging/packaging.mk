# packaging.mk — `make deb` and `make rpm`, included by the top Makefile.
#
# Both build out of tree from a copy of the sources, so the working tree is
# never touched (no debian/ at the top, no stray build products):
#   make deb  ->  build/visor_$(VERSION)_amd64.deb      (dpkg-buildpackage, debhelper 13)
#   make rpm  ->  build/visor-$(VERSION)-1.x86_64.rpm   (rpmbuild, Debian's `rpm` package)
# Staging lives in build/debbuild and build/rpmbuild.  The Debian version is
# exactly $(VERSION) (a native package), so the file name matches VERSION.

PKG_SRC_FILES := $(wildcard Makefile README.md $(COMPONENTS) packaging)
DEB_STAGE     := $(BUILD)/debbuild
DEB_SRCDIR    := $(DEB_STAGE)/visor-$(VERSION)
DEB_FILE      := $(BUILD)/visor_$(VERSION)_amd64.deb
RPM_TOP       := $(CURDIR)/$(BUILD)/rpmbuild
RPM_FILE      := $(BUILD)/visor-$(VERSION)-1.x86_64.rpm
PKG_MAINT     := visor developers <visor-dev@lists.example.org>
# The changelog date is the last commit's, so rebuilding the same commit
# gives the same package metadata (dpkg derives SOURCE_DATE_EPOCH from it).
PKG_EPOCH     := $(shell git log -1 --format=%ct 2>/dev/null || date +%s)

.PHONY: deb rpm packages lintian

packages: deb rpm

deb:
	@command -v dpkg-buildpackage >/dev/null && command -v dh >/dev/null || \
		{ echo "make deb needs dpkg-dev and debhelper (apt-get install dpkg-dev debhelper)"; exit 1; }
	rm -rf $(DEB_STAGE)
	mkdir -p $(DEB_SRCDIR)
	tar -cf - $(PKG_SRC_FILES) | tar -xf - -C $(DEB_SRCDIR)
	cp -a packaging/debian $(DEB_SRCDIR)/debian
	{ echo "visor ($(VERSION)) unstable; urgency=medium"; echo; \
	  echo "  * Release $(VERSION)."; echo; \
	  echo " -- $(PKG_MAINT)  $$(date -R -d @$(PKG_EPOCH))"; } >$(DEB_SRCDIR)/debian/changelog
	cd $(DEB_SRCDIR) && dpkg-buildpackage -b --no-sign >../dpkg-buildpackage.log 2>&1 || \
		{ tail -40 ../dpkg-buildpackage.log; rm -rf $(DEB_SRCDIR); exit 1; }
	# Drop the staged tree: its build/obj/*.d files would otherwise be
	# picked up by the top Makefile's `find $(BUILD) -name '*.d'`.
	rm -rf $(DEB_SRCDIR)
	cp $(DEB_STAGE)/visor_$(VERSION)_amd64.deb $(DEB_FILE)
	@echo "built $(DEB_FILE)"

lintian: deb
	lintian --info --display-info $(DEB_FILE)

rpm:
	@command -v rpmbuild >/dev/null || { echo "make rpm needs rpmbuild (apt-get install rpm)"; exit 1; }
	rm -rf $(RPM_TOP)
	mkdir -p $(RPM_TOP)/SOURCES $(RPM_TOP)/SPECS
	tar --transform 's,^,visor-$(VERSION)/,' -czf $(RPM_TOP)/SOURCES/visor-$(VERSION).tar.gz \
		$(PKG_SRC_FILES)
	cp packaging/rpm/visor.spec $(RPM_TOP)/SPECS/
	# --nodeps: BuildRequires name Fedora packages, which Debian's rpm
	# database cannot know about; the Debian build deps are what is used.
	rpmbuild -bb --nodeps --define "_topdir $(RPM_TOP)" --define "visor_version $(VERSION)" \
		--define "source_date_epoch_from_changelog 0" \
		$(RPM_TOP)/SPECS/visor.spec >$(RPM_TOP)/rpmbuild.log 2>&1 || \
		{ tail -40 $(RPM_TOP)/rpmbuild.log; rm -rf $(RPM_TOP)/BUILD; exit 1; }
	cp $(RPM_TOP)/RPMS/x86_64/visor-$(VERSION)-1.x86_64.rpm $(RPM_FILE)
	@echo "built $(RPM_FILE)"
