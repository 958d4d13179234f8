// extern "C" surface of the simdjson shim (implemented in shim.cpp): one on-demand pass over a Honeycomb
// JSON body that splits it into events, validates every byte that will be stored, and reports where each
// event's `data` object sits, its `time` and its `samplerate`. Swift decides what the values mean.
//
// Threading and lifetime: every thread has its own simdjson parser and result array (thread_local), so
// calls on different threads never share state and a warm thread allocates nothing. Everything a call
// returns by pointer (the event array, `time_bytes`) stays valid until the next kelpie_sj_* parse call on
// the SAME thread; read it before parsing again.
//
// Input: `json` must point to `length` bytes inside an allocation of at least `capacity` readable bytes,
// with capacity - length >= kelpie_sj_padding() (simdjson reads ahead). Otherwise KELPIE_SJ_DOC_NO_PADDING.
//
// Validation: a body is accepted only if the WHOLE document is valid JSON (RFC 8259 grammar, UTF-8, string
// escapes with \u surrogates paired, number grammar, true/false/null, no control characters in strings,
// nothing but whitespace after the root). Numbers are checked against the grammar only, so integers beyond
// 64 bits and exponents such as 1e400 are valid. Container nesting inside one event is limited to
// kelpie_sj_max_depth() levels (deeper: KELPIE_SJ_EVENT_TOO_DEEP, and the rest of that element is skipped
// unvalidated, since the element is rejected anyway).
#ifndef KELPIE_CSIMDJSON_H
#define KELPIE_CSIMDJSON_H
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

// Whole-document outcome (return value of the parse calls).
#define KELPIE_SJ_DOC_OK 0
/// Not valid JSON: syntax error, invalid UTF-8, bad escape, truncated, trailing content, nothing but whitespace.
#define KELPIE_SJ_DOC_MALFORMED 1
/// The root is not the expected kind (an array for a batch, an object for one event); the rest of the
/// document is not examined.
#define KELPIE_SJ_DOC_WRONG_ROOT_TYPE 2
/// capacity - length < kelpie_sj_padding().
#define KELPIE_SJ_DOC_NO_PADDING 3
/// Out of memory or a document simdjson cannot index (over 4 GiB).
#define KELPIE_SJ_DOC_RESOURCE 4

// Per-event outcome (kelpie_sj_event.status). Only syntax errors fail the whole document; these do not.
#define KELPIE_SJ_EVENT_OK 0
/// The array element is not an object.
#define KELPIE_SJ_EVENT_NOT_OBJECT 1
/// The element has no "data" key.
#define KELPIE_SJ_EVENT_DATA_MISSING 2
/// "data" is present but not an object (null, string, array, ...).
#define KELPIE_SJ_EVENT_DATA_NOT_OBJECT 3
/// Containers nested deeper than kelpie_sj_max_depth() somewhere in the element (the rest of the element
/// is skipped, not validated; the element is rejected either way).
#define KELPIE_SJ_EVENT_TOO_DEEP 4

// kelpie_sj_event.time_kind
#define KELPIE_SJ_TIME_ABSENT 0
/// A JSON string; time_bytes/time_length hold its unescaped contents (no quotes).
#define KELPIE_SJ_TIME_STRING 1
/// A JSON number; time_bytes/time_length hold its token text exactly as sent (e.g. "1715949296.789").
#define KELPIE_SJ_TIME_NUMBER 2
/// Any other JSON value, null included (validated, then ignored by the caller).
#define KELPIE_SJ_TIME_OTHER 3

// kelpie_sj_event.samplerate_kind
#define KELPIE_SJ_SAMPLERATE_ABSENT 0
/// An integer token that fits int64_t: samplerate_integer.
#define KELPIE_SJ_SAMPLERATE_INTEGER 1
/// A number token with a fraction or exponent: samplerate_double (finite).
#define KELPIE_SJ_SAMPLERATE_DOUBLE 2
/// A number token outside int64_t / double range (e.g. 99999999999999999999, 1e400).
#define KELPIE_SJ_SAMPLERATE_OUT_OF_RANGE 3
/// null.
#define KELPIE_SJ_SAMPLERATE_NULL 4
/// A string, boolean, array or object.
#define KELPIE_SJ_SAMPLERATE_NOT_NUMBER 5

/// One element of a batch array, or the single object of /1/events.
typedef struct kelpie_sj_event {
    int32_t status;            ///< KELPIE_SJ_EVENT_*; the fields below are meaningful only when OK
    int32_t time_kind;         ///< KELPIE_SJ_TIME_*
    int32_t samplerate_kind;   ///< KELPIE_SJ_SAMPLERATE_*
    uint32_t data_field_count; ///< top-level keys in "data" (duplicates counted each time)
    /// Longest string VALUE anywhere inside "data" (keys excluded), in raw bytes between its quotes
    /// (escapes as sent, so never less than its unescaped length). Lets the caller skip string-length
    /// checks for events whose strings are all short.
    size_t data_max_string_length;
    size_t data_offset;        ///< byte offset of data's '{' from `json`
    size_t data_length;        ///< bytes from '{' through the matching '}' inclusive
    const uint8_t *time_bytes; ///< see time_kind; valid until the next parse call on this thread
    size_t time_length;
    int64_t samplerate_integer;
    double samplerate_double;
} kelpie_sj_event;

/// Bytes of readable padding simdjson needs after the input.
size_t kelpie_sj_padding(void);

/// Deepest container nesting accepted anywhere in a document (the root array counts as level 1).
size_t kelpie_sj_max_depth(void);

/// Parses a Honeycomb batch body: a JSON array of event objects {"data":{...},"time":...,"samplerate":...}.
/// Keys are compared after unescaping ("d\u0061ta" is "data"). Keys other than data/time/samplerate are
/// validated and ignored; when a key repeats, the last one wins.
/// On KELPIE_SJ_DOC_OK, *events points to *event_count results, one per array element in order
/// (thread-owned memory, see above). On any other return value no event is reported (*event_count = 0).
/// `simdjson_error`, if not NULL, receives simdjson's error code for diagnostics (0 when none).
int32_t kelpie_sj_parse_batch(const uint8_t *json, size_t length, size_t capacity,
                              const kelpie_sj_event **events, size_t *event_count, int32_t *simdjson_error);

/// Parses a /1/events body: the whole document is the data object. On KELPIE_SJ_DOC_OK, *event holds
/// status (OK or TOO_DEEP), data_offset/length (the object without surrounding whitespace) and
/// data_field_count; time and samplerate are ABSENT.
int32_t kelpie_sj_parse_object(const uint8_t *json, size_t length, size_t capacity,
                               kelpie_sj_event *event, int32_t *simdjson_error);

#ifdef __cplusplus
}
#endif
#endif
