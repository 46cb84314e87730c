// Helper library for the dl_* tests: opened by bare name, found only
// through the RUNPATH/RPATH (or $ORIGIN) of the object that calls dlopen.
int dlname_id(void) { return 4242; }
