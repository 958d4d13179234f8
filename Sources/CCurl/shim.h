// libcurl, the HTTP/HTTPS-only static build that scripts/bootstrap.sh puts into .build-deps/curl (any make
// target runs it). Included by path, and linked as libkelpie-curl.a by RelaySink's linker settings, so no
// environment is needed and Debian's libcurl4-openssl-dev, if installed, can never be picked up instead.
#if !__has_include("../../.build-deps/curl/include/curl/curl.h")
#error "libcurl is not built yet: run scripts/bootstrap.sh (any make target runs it)"
#endif
#include "../../.build-deps/curl/include/curl/curl.h"

// curl_easy_setopt, curl_multi_setopt and curl_easy_getinfo are variadic, which Swift cannot call:
// one typed wrapper per argument type used.
static inline CURLcode kelpie_curl_easy_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode kelpie_curl_easy_setopt_pointer(CURL *handle, CURLoption option, const void *value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode kelpie_curl_easy_setopt_off(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode kelpie_curl_easy_setopt_write_callback(
    CURL *handle, CURLoption option, size_t (*callback)(char *, size_t, size_t, void *)) {
    return curl_easy_setopt(handle, option, callback);
}
static inline CURLcode kelpie_curl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}
static inline CURLcode kelpie_curl_easy_getinfo_off(CURL *handle, CURLINFO info, curl_off_t *value) {
    return curl_easy_getinfo(handle, info, value);
}
static inline CURLcode kelpie_curl_easy_getinfo_pointer(CURL *handle, CURLINFO info, void **value) {
    return curl_easy_getinfo(handle, info, value);
}
static inline CURLMcode kelpie_curl_multi_setopt_long(CURLM *multi, CURLMoption option, long value) {
    return curl_multi_setopt(multi, option, value);
}
// CURLMsg's result lives in a union Swift imports awkwardly.
static inline CURLcode kelpie_curl_msg_result(const CURLMsg *message) {
    return message->data.result;
}
// CURLVERSION_NOW is a macro aliasing an enum case, which Swift does not import.
static inline curl_version_info_data *kelpie_curl_version_info(void) {
    return curl_version_info(CURLVERSION_NOW);
}
