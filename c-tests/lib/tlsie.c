// Helper library for ie_tls_dlopen: an initial-exec __thread variable in a
// library that is dlopen'ed after threads exist (lives in static TLS).
// CFLAGS: -ftls-model=initial-exec
__attribute__((tls_model("initial-exec"))) __thread int ie_x = 42;
__attribute__((tls_model("initial-exec"))) __thread int ie_y;

int *tlsie_addr(void) { return &ie_x; }
int tlsie_get(void) { return ie_x; }
int tlsie_get_y(void) { return ie_y; }
void tlsie_set(int v) { ie_x = v; ie_y = -v; }
