// simdjson on-demand shim for Honeycomb JSON bodies. See include/CSimdJSON.h for the contract.
//
// How validation works: simdjson's stage 1 (run by parser.iterate) checks UTF-8 and finds every string
// and structural character for the whole input. On-demand iteration then checks the structure of what we
// walk (commas, colons, brackets). On-demand does NOT check the content of scalars it skips, so the walk
// below visits every value of every element and checks scalars itself, against the raw token text:
// strings (escapes, control characters), numbers (grammar) and literals. Containers go through simdjson.
#include "CSimdJSON.h"

#include <simdjson.h>

#include <charconv>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <cstring>
#include <new>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace od = simdjson::ondemand;

namespace {

/// Deepest container nesting inside one event: the data object (or the /1/events body) is level 1.
constexpr size_t kMaxEventDepth = 100;
/// A thread keeps its parser's buffers up to this document size; a larger document gets buffers that
/// are dropped at the start of the next smaller parse, so one huge request does not pin memory forever.
constexpr size_t kRetainedParserCapacityBytes = size_t(1) << 20;
/// Same idea for the per-thread result array.
constexpr size_t kRetainedEventSlots = 4096;

enum WalkResult { walkOK = 0, walkSyntaxError, walkTooDeep };

struct ThreadState {
    od::parser parser;
    std::vector<kelpie_sj_event> events;
};

ThreadState &threadState() {
    thread_local ThreadState state;
    return state;
}

/// Drops oversized buffers left by an earlier big document (never during a parse whose results are live).
void trimThreadState(ThreadState &state, size_t nextLength) {
    if (state.parser.capacity() > kRetainedParserCapacityBytes && nextLength <= kRetainedParserCapacityBytes) {
        state.parser = od::parser{};
    }
    if (state.events.capacity() > kRetainedEventSlots) {
        std::vector<kelpie_sj_event>().swap(state.events);
    }
}

inline bool isJSONWhitespace(uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
inline bool isDigit(uint8_t c) { return c >= '0' && c <= '9'; }

inline int hexValue(uint8_t c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/// Reads the 4 hex digits of a \u escape at p; -1 if any is not hex.
inline int32_t readHex4(const uint8_t *p) {
    int a = hexValue(p[0]), b = hexValue(p[1]), c = hexValue(p[2]), d = hexValue(p[3]);
    if ((a | b | c | d) < 0) return -1;
    return (a << 12) | (b << 8) | (c << 4) | d;
}

/// Position of the first backslash in [p, end), or end. Reads whole 16-byte (SSE2) or 8-byte blocks, so it
/// may look up to 15 bytes past `end`; callers only pass ranges inside the input, which has 64 bytes of
/// padding after it.
inline const uint8_t *findBackslash(const uint8_t *p, const uint8_t *end) {
#if defined(__SSE2__)
    const __m128i backslash = _mm_set1_epi8('\\');
    for (; p < end; p += 16) {
        __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p));
        unsigned mask = unsigned(_mm_movemask_epi8(_mm_cmpeq_epi8(block, backslash)));
        if (mask != 0) {
            const uint8_t *found = p + __builtin_ctz(mask);
            return found < end ? found : end;
        }
    }
    return end;
#else
    constexpr uint64_t ones = 0x0101010101010101ULL, highBits = 0x8080808080808080ULL;
    for (; p < end; p += 8) {
        uint64_t word;
        std::memcpy(&word, p, sizeof word);
        uint64_t x = word ^ (ones * '\\');
        if (((x - ones) & ~x & highBits) != 0) {
            for (const uint8_t *q = p; q < p + 8 && q < end; q++) {
                if (*q == '\\') return q;
            }
        }
    }
    return end;
#endif
}

/// Validates the contents of a string, [p, end) between its quotes: every escape must be one of JSON's,
/// and \u surrogates must pair up. Stage 1 already rejected unescaped control characters and found the
/// closing quote, so only backslashes need a look.
bool validStringContents(const uint8_t *p, const uint8_t *end) {
    for (;;) {
        p = findBackslash(p, end);
        if (p >= end) return true;
        switch (p[1]) {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
            p += 2;
            break;
        case 'u': {
            int32_t unit = readHex4(p + 2);
            if (unit < 0) return false;
            p += 6;
            if (unit >= 0xDC00 && unit <= 0xDFFF) return false;  // low surrogate without a high one
            if (unit >= 0xD800 && unit <= 0xDBFF) {
                if (p[0] != '\\' || p[1] != 'u') return false;
                int32_t low = readHex4(p + 2);
                if (low < 0xDC00 || low > 0xDFFF) return false;
                p += 6;
            }
            break;
        }
        default:
            return false;
        }
    }
}

/// Scans a JSON number at p; returns the position after it, or nullptr if it breaks the grammar.
const uint8_t *scanNumber(const uint8_t *p) {
    if (*p == '-') p++;
    if (*p == '0') {
        p++;
    } else if (*p >= '1' && *p <= '9') {
        while (isDigit(*p)) p++;
    } else {
        return nullptr;
    }
    if (*p == '.') {
        p++;
        if (!isDigit(*p)) return nullptr;
        while (isDigit(*p)) p++;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-') p++;
        if (!isDigit(*p)) return nullptr;
        while (isDigit(*p)) p++;
    }
    return p;
}

inline bool onlyWhitespace(const uint8_t *p, const uint8_t *end) {
    for (; p < end; p++) {
        if (!isJSONWhitespace(*p)) return false;
    }
    return true;
}

/// A scalar value must be followed by ',', ']' or '}'. The parent container checks which one fits, but
/// only when the scalar is consumed: simdjson's skip treats an unconsumed string followed by ':' as an
/// object key and then skips to the end of the container (so `["a":1]` would pass unnoticed).
inline bool endsValue(const uint8_t *next) { return *next == ',' || *next == ']' || *next == '}'; }

/// A raw token runs from the value's first byte to the next structural character, so it may end in
/// whitespace. Returns the number's end, or nullptr if the token is not exactly one valid number.
const uint8_t *checkNumberToken(std::string_view token) {
    auto start = reinterpret_cast<const uint8_t *>(token.data());
    const uint8_t *tokenEnd = start + token.size();
    const uint8_t *end = scanNumber(start);
    if (end == nullptr || end > tokenEnd) return nullptr;
    return onlyWhitespace(end, tokenEnd) && endsValue(tokenEnd) ? end : nullptr;
}

/// Returns the closing quote of a string token, or nullptr if the string is invalid. The token ends at
/// the next structural character, so the closing quote is its last non-whitespace byte (stage 1 found it).
const uint8_t *checkStringToken(std::string_view token) {
    auto start = reinterpret_cast<const uint8_t *>(token.data());
    const uint8_t *tokenEnd = start + token.size();
    if (!endsValue(tokenEnd)) return nullptr;
    const uint8_t *close = tokenEnd;
    while (close > start && isJSONWhitespace(close[-1])) close--;
    close--;
    if (close <= start || *close != '"') return nullptr;
    return validStringContents(start + 1, close) ? close : nullptr;
}

/// Validates a field's key. simdjson has consumed the key and its colon, so the key's closing quote is
/// found by walking back from the value: whitespace, ':', whitespace, '"'. Returns the closing quote.
const uint8_t *checkKey(od::field &field) {
    auto key = reinterpret_cast<const uint8_t *>(field.key().raw());
    auto cursor = reinterpret_cast<const uint8_t *>(field.value().raw_json_token().data());
    while (cursor > key && isJSONWhitespace(cursor[-1])) cursor--;
    if (cursor <= key || cursor[-1] != ':') return nullptr;
    cursor--;
    while (cursor > key && isJSONWhitespace(cursor[-1])) cursor--;
    if (cursor <= key || cursor[-1] != '"') return nullptr;
    const uint8_t *close = cursor - 1;
    return validStringContents(key, close) ? close : nullptr;
}

bool checkLiteralToken(std::string_view token) {
    size_t n = token.size();
    if (!endsValue(reinterpret_cast<const uint8_t *>(token.data()) + n)) return false;
    while (n > 0 && isJSONWhitespace(uint8_t(token[n - 1]))) n--;
    std::string_view word = token.substr(0, n);
    return word == "true" || word == "false" || word == "null";
}

WalkResult walkValue(od::value &value, size_t depth, size_t *longestString);

/// Walks every field of an object whose own level is `depth`; counts fields when `count` is set, and
/// records the longest string value (raw bytes) in `*longestString` when that is set.
WalkResult walkFields(od::object &object, size_t depth, uint32_t *count, size_t *longestString) {
    for (auto fieldResult : object) {
        od::field field;
        if (std::move(fieldResult).get(field) != simdjson::SUCCESS) return walkSyntaxError;
        if (checkKey(field) == nullptr) return walkSyntaxError;
        if (count != nullptr) ++*count;
        WalkResult result = walkValue(field.value(), depth, longestString);
        if (result != walkOK) return result;
    }
    return walkOK;
}

/// Validates one value completely. `depth` is the level of the container holding it. `longestString`,
/// when set, is raised to the raw length of any longer string value met.
WalkResult walkValue(od::value &value, size_t depth, size_t *longestString) {
    od::json_type type;
    if (value.type().get(type) != simdjson::SUCCESS) return walkSyntaxError;
    switch (type) {
    case od::json_type::object: {
        if (depth + 1 > kMaxEventDepth) return walkTooDeep;
        od::object object;
        if (value.get_object().get(object) != simdjson::SUCCESS) return walkSyntaxError;
        return walkFields(object, depth + 1, nullptr, longestString);
    }
    case od::json_type::array: {
        if (depth + 1 > kMaxEventDepth) return walkTooDeep;
        od::array array;
        if (value.get_array().get(array) != simdjson::SUCCESS) return walkSyntaxError;
        for (auto elementResult : array) {
            od::value element;
            if (elementResult.get(element) != simdjson::SUCCESS) return walkSyntaxError;
            WalkResult result = walkValue(element, depth + 1, longestString);
            if (result != walkOK) return result;
        }
        return walkOK;
    }
    case od::json_type::string: {
        std::string_view token = value.raw_json_token();
        const uint8_t *close = checkStringToken(token);
        if (close == nullptr) return walkSyntaxError;
        if (longestString != nullptr) {
            size_t length = size_t(close - reinterpret_cast<const uint8_t *>(token.data())) - 1;
            if (length > *longestString) *longestString = length;
        }
        return walkOK;
    }
    case od::json_type::number:
        return checkNumberToken(value.raw_json_token()) != nullptr ? walkOK : walkSyntaxError;
    case od::json_type::boolean:
    case od::json_type::null:
        return checkLiteralToken(value.raw_json_token()) ? walkOK : walkSyntaxError;
    }
    return walkSyntaxError;
}

/// "time": a string (unescaped contents) or a number (token text); anything else is validated and ignored.
WalkResult readTime(od::value &value, kelpie_sj_event &event) {
    od::json_type type;
    if (value.type().get(type) != simdjson::SUCCESS) return walkSyntaxError;
    std::string_view token = value.raw_json_token();
    if (type == od::json_type::string) {
        const uint8_t *close = checkStringToken(token);
        if (close == nullptr) return walkSyntaxError;
        auto contents = reinterpret_cast<const uint8_t *>(token.data()) + 1;
        size_t length = size_t(close - contents);
        if (std::memchr(contents, '\\', length) != nullptr) {
            std::string_view unescaped;  // lives in the parser's string buffer until the next parse
            if (value.get_string().get(unescaped) != simdjson::SUCCESS) return walkSyntaxError;
            event.time_bytes = reinterpret_cast<const uint8_t *>(unescaped.data());
            event.time_length = unescaped.size();
        } else {
            event.time_bytes = contents;
            event.time_length = length;
        }
        event.time_kind = KELPIE_SJ_TIME_STRING;
        return walkOK;
    }
    if (type == od::json_type::number) {
        const uint8_t *end = checkNumberToken(token);
        if (end == nullptr) return walkSyntaxError;
        event.time_bytes = reinterpret_cast<const uint8_t *>(token.data());
        event.time_length = size_t(end - event.time_bytes);
        event.time_kind = KELPIE_SJ_TIME_NUMBER;
        return walkOK;
    }
    event.time_kind = KELPIE_SJ_TIME_OTHER;
    event.time_bytes = nullptr;
    event.time_length = 0;
    return walkValue(value, 0, nullptr);
}

/// "samplerate": reports the number's kind and value; Swift decides what is acceptable.
WalkResult readSampleRate(od::value &value, kelpie_sj_event &event) {
    od::json_type type;
    if (value.type().get(type) != simdjson::SUCCESS) return walkSyntaxError;
    if (type != od::json_type::number) {
        WalkResult result = walkValue(value, 0, nullptr);
        event.samplerate_kind = type == od::json_type::null ? KELPIE_SJ_SAMPLERATE_NULL : KELPIE_SJ_SAMPLERATE_NOT_NUMBER;
        return result;
    }
    std::string_view token = value.raw_json_token();
    const uint8_t *end = checkNumberToken(token);
    if (end == nullptr) return walkSyntaxError;
    const char *first = token.data();
    const char *last = reinterpret_cast<const char *>(end);
    bool integral = std::memchr(first, '.', size_t(last - first)) == nullptr
        && std::memchr(first, 'e', size_t(last - first)) == nullptr
        && std::memchr(first, 'E', size_t(last - first)) == nullptr;
    if (integral) {
        int64_t parsed = 0;
        auto [ptr, ec] = std::from_chars(first, last, parsed);
        if (ec == std::errc() && ptr == last) {
            event.samplerate_kind = KELPIE_SJ_SAMPLERATE_INTEGER;
            event.samplerate_integer = parsed;
        } else {
            event.samplerate_kind = KELPIE_SJ_SAMPLERATE_OUT_OF_RANGE;
        }
        return walkOK;
    }
    double parsed = 0;
    auto [ptr, ec] = std::from_chars(first, last, parsed);
    if (ec == std::errc() && ptr == last) {
        event.samplerate_kind = KELPIE_SJ_SAMPLERATE_DOUBLE;
        event.samplerate_double = parsed;
    } else {
        event.samplerate_kind = KELPIE_SJ_SAMPLERATE_OUT_OF_RANGE;
    }
    return walkOK;
}

/// Walks one batch element. A walkTooDeep inside it becomes the element's status (walkOK is returned and
/// the array iteration skips the rest); walkSyntaxError fails the document.
WalkResult readElement(od::document &document, const uint8_t *base, od::value &element, kelpie_sj_event &event) {
    event = kelpie_sj_event{};
    od::json_type type;
    if (element.type().get(type) != simdjson::SUCCESS) return walkSyntaxError;
    if (type != od::json_type::object) {
        event.status = KELPIE_SJ_EVENT_NOT_OBJECT;
        return walkValue(element, 0, nullptr) == walkSyntaxError ? walkSyntaxError : walkOK;
    }
    od::object object;
    if (element.get_object().get(object) != simdjson::SUCCESS) return walkSyntaxError;
    bool sawData = false, dataIsObject = false;
    for (auto fieldResult : object) {
        od::field field;
        if (std::move(fieldResult).get(field) != simdjson::SUCCESS) return walkSyntaxError;
        auto key = reinterpret_cast<const uint8_t *>(field.key().raw());
        const uint8_t *keyEnd = checkKey(field);
        if (keyEnd == nullptr) return walkSyntaxError;
        std::string_view name(reinterpret_cast<const char *>(key), size_t(keyEnd - key));
        if (std::memchr(key, '\\', name.size()) != nullptr) {
            // An escaped key ("d\u0061ta") means what it unescapes to; rare, so only then unescape.
            if (field.unescaped_key().get(name) != simdjson::SUCCESS) return walkSyntaxError;
        }
        od::value &value = field.value();
        WalkResult result = walkOK;
        if (name == "data") {
            sawData = true;
            od::json_type dataType;
            if (value.type().get(dataType) != simdjson::SUCCESS) return walkSyntaxError;
            dataIsObject = dataType == od::json_type::object;
            if (!dataIsObject) {
                result = walkValue(value, 0, nullptr);
            } else {
                auto start = reinterpret_cast<const uint8_t *>(value.raw_json_token().data());
                od::object data;
                if (value.get_object().get(data) != simdjson::SUCCESS) return walkSyntaxError;
                uint32_t count = 0;
                size_t longestString = 0;
                result = walkFields(data, 1, &count, &longestString);
                if (result == walkOK) {
                    // The iterator now stands on the token after the closing brace (',' or '}').
                    const char *next = nullptr;
                    if (document.current_location().get(next) != simdjson::SUCCESS) return walkSyntaxError;
                    auto end = reinterpret_cast<const uint8_t *>(next);
                    while (end > start && isJSONWhitespace(end[-1])) end--;
                    if (end <= start || end[-1] != '}') return walkSyntaxError;
                    event.data_offset = size_t(start - base);
                    event.data_length = size_t(end - start);
                    event.data_field_count = count;
                    event.data_max_string_length = longestString;
                }
            }
        } else if (name == "time") {
            result = readTime(value, event);
        } else if (name == "samplerate") {
            result = readSampleRate(value, event);
        } else {
            result = walkValue(value, 0, nullptr);
        }
        if (result == walkTooDeep) {
            event.status = KELPIE_SJ_EVENT_TOO_DEEP;
            return walkOK;
        }
        if (result != walkOK) return walkSyntaxError;
    }
    if (!sawData) {
        event.status = KELPIE_SJ_EVENT_DATA_MISSING;
    } else if (!dataIsObject) {
        event.status = KELPIE_SJ_EVENT_DATA_NOT_OBJECT;
    } else {
        event.status = KELPIE_SJ_EVENT_OK;
    }
    return walkOK;
}

/// True when the iterator has consumed every token (nothing but whitespace follows the root).
bool atDocumentEnd(od::document &document) {
    const char *location = nullptr;
    return document.current_location().get(location) == simdjson::OUT_OF_BOUNDS;
}

/// Starts an on-demand parse and checks the root's type: the prologue the batch and single-event entry
/// points share. KELPIE_SJ_DOC_OK leaves `document` positioned at the root.
int32_t openDocument(ThreadState &state, const uint8_t *json, size_t length, size_t capacity,
                     od::json_type expectedRoot, od::document &document, int32_t *simdjsonError) {
    simdjson::error_code error = state.parser.iterate(reinterpret_cast<const char *>(json), length, capacity).get(document);
    if (error != simdjson::SUCCESS) {
        *simdjsonError = error;
        return (error == simdjson::MEMALLOC || error == simdjson::CAPACITY) ? KELPIE_SJ_DOC_RESOURCE : KELPIE_SJ_DOC_MALFORMED;
    }
    od::json_type rootType;
    if ((error = document.type().get(rootType)) != simdjson::SUCCESS) {
        *simdjsonError = error;
        return KELPIE_SJ_DOC_MALFORMED;
    }
    return rootType == expectedRoot ? KELPIE_SJ_DOC_OK : KELPIE_SJ_DOC_WRONG_ROOT_TYPE;
}

int32_t parseBatch(const uint8_t *json, size_t length, size_t capacity,
                   const kelpie_sj_event **events, size_t *eventCount, int32_t *simdjsonError) {
    ThreadState &state = threadState();
    trimThreadState(state, length);
    state.events.clear();
    od::document document;
    int32_t opened = openDocument(state, json, length, capacity, od::json_type::array, document, simdjsonError);
    if (opened != KELPIE_SJ_DOC_OK) return opened;
    simdjson::error_code error;
    od::array array;
    if ((error = document.get_array().get(array)) != simdjson::SUCCESS) {
        *simdjsonError = error;
        return KELPIE_SJ_DOC_MALFORMED;
    }
    for (auto elementResult : array) {
        od::value element;
        if ((error = elementResult.get(element)) != simdjson::SUCCESS) {
            *simdjsonError = error;
            state.events.clear();
            return KELPIE_SJ_DOC_MALFORMED;
        }
        kelpie_sj_event event;
        if (readElement(document, json, element, event) != walkOK) {
            state.events.clear();
            return KELPIE_SJ_DOC_MALFORMED;
        }
        state.events.push_back(event);
    }
    if (!atDocumentEnd(document)) {
        state.events.clear();
        return KELPIE_SJ_DOC_MALFORMED;
    }
    *events = state.events.data();
    *eventCount = state.events.size();
    return KELPIE_SJ_DOC_OK;
}

int32_t parseObject(const uint8_t *json, size_t length, size_t capacity, kelpie_sj_event *event, int32_t *simdjsonError) {
    ThreadState &state = threadState();
    trimThreadState(state, length);
    *event = kelpie_sj_event{};
    od::document document;
    int32_t opened = openDocument(state, json, length, capacity, od::json_type::object, document, simdjsonError);
    if (opened != KELPIE_SJ_DOC_OK) return opened;
    simdjson::error_code error;
    od::object object;
    if ((error = document.get_object().get(object)) != simdjson::SUCCESS) {
        *simdjsonError = error;
        return KELPIE_SJ_DOC_MALFORMED;
    }
    uint32_t count = 0;
    size_t longestString = 0;
    WalkResult result = walkFields(object, 1, &count, &longestString);
    if (result == walkTooDeep) {
        event->status = KELPIE_SJ_EVENT_TOO_DEEP;
        return KELPIE_SJ_DOC_OK;
    }
    if (result != walkOK || !atDocumentEnd(document)) return KELPIE_SJ_DOC_MALFORMED;
    const uint8_t *start = json, *end = json + length;
    while (start < end && isJSONWhitespace(*start)) start++;
    while (end > start && isJSONWhitespace(end[-1])) end--;
    if (end - start < 2 || *start != '{' || end[-1] != '}') return KELPIE_SJ_DOC_MALFORMED;
    event->status = KELPIE_SJ_EVENT_OK;
    event->data_offset = size_t(start - json);
    event->data_length = size_t(end - start);
    event->data_field_count = count;
    event->data_max_string_length = longestString;
    return KELPIE_SJ_DOC_OK;
}

}  // namespace

extern "C" size_t kelpie_sj_padding(void) { return simdjson::SIMDJSON_PADDING; }

extern "C" size_t kelpie_sj_max_depth(void) { return kMaxEventDepth; }

extern "C" int32_t kelpie_sj_parse_batch(const uint8_t *json, size_t length, size_t capacity,
                                         const kelpie_sj_event **events, size_t *event_count, int32_t *simdjson_error) {
    int32_t ignoredError = 0;
    if (simdjson_error == nullptr) simdjson_error = &ignoredError;
    *simdjson_error = 0;
    *events = nullptr;
    *event_count = 0;
    if (json == nullptr || capacity < length || capacity - length < simdjson::SIMDJSON_PADDING) return KELPIE_SJ_DOC_NO_PADDING;
    try {
        return parseBatch(json, length, capacity, events, event_count, simdjson_error);
    } catch (...) {  // std::bad_alloc from the result array
        threadState().events.clear();
        *events = nullptr;
        *event_count = 0;
        return KELPIE_SJ_DOC_RESOURCE;
    }
}

extern "C" int32_t kelpie_sj_parse_object(const uint8_t *json, size_t length, size_t capacity,
                                          kelpie_sj_event *event, int32_t *simdjson_error) {
    int32_t ignoredError = 0;
    if (simdjson_error == nullptr) simdjson_error = &ignoredError;
    *simdjson_error = 0;
    *event = kelpie_sj_event{};
    if (json == nullptr || capacity < length || capacity - length < simdjson::SIMDJSON_PADDING) return KELPIE_SJ_DOC_NO_PADDING;
    try {
        return parseObject(json, length, capacity, event, simdjson_error);
    } catch (...) {
        return KELPIE_SJ_DOC_RESOURCE;
    }
}
