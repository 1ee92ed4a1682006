#ifndef SLUICE_CLIBGIT2_SHIM_H
#define SLUICE_CLIBGIT2_SHIM_H
#include <git2.h>

// git_libgit2_opts is variadic, which Swift cannot call: these wrappers name each option used.

/// Trusts the CA certificates in `file` (PEM) for HTTPS remotes, in addition to none other.
static inline int sluice_git_set_ssl_cert_file(const char *file) {
    return git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, file, NULL);
}

/// Keeps pack files of up to `limit` bytes mapped, so large snapshots read without remapping.
static inline int sluice_git_set_mwindow_mapped_limit(size_t limit) {
    return git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, limit);
}

/// Turns off the re-hash of every object read; Git CLI does not verify on read either.
static inline int sluice_git_set_strict_hash_verification(int enabled) {
    return git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, enabled);
}
#endif
