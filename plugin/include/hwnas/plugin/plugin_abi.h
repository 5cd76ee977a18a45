#ifndef HWNAS_PLUGIN_PLUGIN_ABI_H
#define HWNAS_PLUGIN_PLUGIN_ABI_H
/* The hwnas plugin ABI: the C boundary between hwnas (the host) and a shared library that adds search
 * spaces and objective kinds.
 *
 * Plain C on purpose: a plugin may be built with another compiler or standard library than the host, so
 * nothing C++ crosses this line, no exception, no std::string, no allocation freed by the other side.
 *
 * Protocol
 *  1. The host dlopen()s the library and looks up the symbol HWNAS_PLUGIN_ENTRY_SYMBOL.
 *  2. It zero-fills an HwnasPluginV1, sets `struct_size = sizeof(HwnasPluginV1)` and calls
 *     `hwnas_plugin_entry(HWNAS_PLUGIN_ABI_VERSION, &table, error, sizeof error)`.
 *  3. The plugin ALWAYS writes `abi_version` (the version it was built with), even when it refuses the
 *     host's version; the host refuses any plugin whose abi_version differs from its own.
 *  4. The plugin copies at most the host's `struct_size` bytes of its table and sets `struct_size` to the
 *     number it wrote, so an older host never sees fields it does not know, and a newer host finds the
 *     fields an older plugin did not write still zero. New members are only ever appended (or take the
 *     place of `reserved` ones); existing members never change meaning within ABI version 1.
 *
 * Every function returns HWNAS_PLUGIN_OK or an error status; on error it writes a NUL-terminated message
 * (truncated to `error_size`) into the caller's `error` buffer. Strings returned through `char** out` are
 * allocated by the plugin and released with the table's `free_string`. Tables and the strings and arrays
 * they point to live as long as the library stays loaded (hwnas never unloads a plugin).
 * Space calls may come from several threads at once; `handle` is the plugin's own object. Objective
 * calls do too, unless the objective's `thread_safe` is 0.
 *
 * Revisions of v1 (each only appends or fills reserved members; the host reads a member only when the
 * plugin's `struct_size` covers it, so a plugin of an earlier revision keeps working):
 *   1. spaces (HwnasPluginV1 up to free_string, HwnasSpaceV1);
 *   2. objectives (HwnasPluginV1::num_objectives / objectives, HwnasObjectiveV1).
 *
 * C++ plugin authors do not write any of this by hand: see hwnas/plugin/space_plugin.h and
 * hwnas/plugin/objective_plugin.h. */

#include <stddef.h>
#include <stdint.h>

/* The ABI version this header describes. Bumped only for an incompatible change. */
#define HWNAS_PLUGIN_ABI_VERSION 1u

/* Name of the entry point every plugin exports. */
#define HWNAS_PLUGIN_ENTRY_SYMBOL "hwnas_plugin_entry"

/* Recommended size of the error buffers the host passes. */
#define HWNAS_PLUGIN_ERROR_CAPACITY 1024

#if defined(_WIN32)
#define HWNAS_PLUGIN_EXPORT __declspec(dllexport)
#else
#define HWNAS_PLUGIN_EXPORT __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes. */
enum {
  HWNAS_PLUGIN_OK = 0,
  HWNAS_PLUGIN_ERROR = 1,        /* the call failed; the error buffer says why */
  HWNAS_PLUGIN_ABI_MISMATCH = 2, /* entry only: the plugin does not speak the host's ABI version */
  HWNAS_PLUGIN_BAD_ARGUMENT = 3  /* a null pointer or a gene array of the wrong length */
};

/* One search space. An architecture is `num_genes` int32 genes, gene i in 0..gene_choices[i]-1. */
typedef struct HwnasSpaceV1 {
  uint32_t struct_size; /* sizeof(HwnasSpaceV1) as the plugin was built */
  uint32_t reserved0;
  void* handle;            /* opaque; passed back as the first argument of every call below */
  const char* name;        /* registry name: letters, digits, '_', '-', '.' */
  const char* description; /* one line for `hwnas spaces` */
  int32_t num_genes;
  const int32_t* gene_choices; /* num_genes entries, each >= 1 */

  /* Network input shape at batch size `batch` (NCHW): writes up to `capacity` dims and the rank. */
  int (*input_shape)(void* handle, int64_t batch, int64_t* dims, int32_t capacity, int32_t* rank, char* error,
                     size_t error_size);
  /* The space's canonical string form of an architecture. */
  int (*to_string)(void* handle, const int32_t* genes, int32_t num_genes, char** out, char* error, size_t error_size);
  /* Parses the string form into `genes_out` (num_genes entries). */
  int (*from_string)(void* handle, const char* text, int32_t* genes_out, int32_t num_genes, char* error,
                     size_t error_size);
  /* The architecture lowered to the hwnas graph IR, as the JSON of hwnas::core::to_json (the host
   * re-infers and checks every shape when it parses it). */
  int (*to_graph_json)(void* handle, const int32_t* genes, int32_t num_genes, int64_t batch, char** out, char* error,
                       size_t error_size);

  /* Optional (may be NULL; the host then uses its defaults: range checks, uniform sampling, one-gene
   * mutation, uniform crossover). `seed` comes from the host's random generator, so runs stay
   * reproducible. */
  int (*validate)(void* handle, const int32_t* genes, int32_t num_genes, char* error, size_t error_size);
  int (*sample)(void* handle, uint64_t seed, int32_t* genes_out, int32_t num_genes, char* error, size_t error_size);
  int (*mutate)(void* handle, const int32_t* genes, uint64_t seed, int32_t* genes_out, int32_t num_genes, char* error,
                size_t error_size);
  int (*crossover)(void* handle, const int32_t* a, const int32_t* b, uint64_t seed, int32_t* genes_out,
                   int32_t num_genes, char* error, size_t error_size);

  void* reserved[8]; /* must be NULL; room for later v1 members */
} HwnasSpaceV1;

/* Values of HwnasObjectiveV1::default_direction. */
enum {
  HWNAS_DIRECTION_NONE = -1,    /* the config must say `direction:` */
  HWNAS_DIRECTION_MINIMIZE = 0, /* smaller is better (latency, energy) */
  HWNAS_DIRECTION_MAXIMIZE = 1  /* larger is better (accuracy, a proxy score) */
};

/* One objective kind: a function of an architecture that a search config uses as
 *     objectives: [{name: score, kind: <name>, direction: maximize, <option>: <value>, ...}]
 * The host creates one objective per such config entry; every call gets that entry's options. */
typedef struct HwnasObjectiveV1 {
  uint32_t struct_size; /* sizeof(HwnasObjectiveV1) as the plugin was built */
  uint32_t reserved0;
  void* handle;            /* opaque; passed back as the first argument of every call below */
  const char* name;        /* the objective KIND name registered for configs: letters, digits, '_', '-', '.' */
  const char* description; /* one line for `hwnas plugins` and the reports (may be NULL) */
  int32_t default_direction; /* HWNAS_DIRECTION_*: used when the config gives no `direction` */
  int32_t thread_safe;       /* nonzero: `evaluate` may run on several threads at once (on different
                                batches); 0: the host calls it from one thread at a time */

  /* Scores `count` architectures of the search space `space_name`, each given as the space's canonical
   * string form (its to_string), writing out[0..count-1]. The host fills `out` with NaN first; NaN
   * means "cannot score this architecture" (the search treats it as unavailable, never as an error).
   * `options_json` is the config entry's options (every key but name, kind and direction) as a flat JSON
   * object whose values are all strings holding the config's text, e.g. {"scale":"2","file":"x.csv"}
   * ("{}" when there are none). The value of an architecture must depend on that architecture and the
   * options alone (not on the batch it came in), or searches stop being reproducible. A failure (an
   * error status) stops the search with the message. */
  int (*evaluate)(void* handle, const char* space_name, const char* const* archs, int32_t count,
                  const char* options_json, double* out, char* error, size_t error_size);

  /* Optional (may be NULL). Called once per config entry when the search starts, before any evaluate:
   * fails (with a message naming the key) on options this objective does not accept or on a search
   * space it cannot score, so config mistakes surface before any work. */
  int (*check_options)(void* handle, const char* space_name, const char* options_json, char* error,
                       size_t error_size);

  void* reserved[8]; /* must be NULL; room for later v1 members */
} HwnasObjectiveV1;

/* What the entry point fills. */
typedef struct HwnasPluginV1 {
  uint32_t abi_version; /* HWNAS_PLUGIN_ABI_VERSION of the plugin's build: first, and never moves */
  uint32_t struct_size; /* in: the host's sizeof(HwnasPluginV1); out: the bytes the plugin wrote */
  const char* name;     /* plugin name ("" -> the host uses the library's file name) */
  const char* version;  /* free-form plugin version ("1.2.0") */

  int32_t num_spaces;
  int32_t reserved0;
  /* num_spaces pointers (not an array of structs, so HwnasSpaceV1 can grow). */
  const HwnasSpaceV1* const* spaces;

  /* Releases a string a plugin function returned through `char** out`. */
  void (*free_string)(char* text);

  /* Revision 2: objective kinds (0 and NULL when the plugin adds none). */
  int32_t num_objectives;
  int32_t reserved1;
  /* num_objectives pointers (not an array of structs, so HwnasObjectiveV1 can grow). */
  const HwnasObjectiveV1* const* objectives;

  void* reserved[14]; /* must be NULL; room for later v1 members */
} HwnasPluginV1;

/* The entry point. Returns HWNAS_PLUGIN_OK after filling `out`; HWNAS_PLUGIN_ABI_MISMATCH (with
 * out->abi_version set) when it cannot serve `host_abi_version`; HWNAS_PLUGIN_ERROR with a message when its
 * spaces or objectives cannot be created. */
typedef int (*HwnasPluginEntryFn)(uint32_t host_abi_version, HwnasPluginV1* out, char* error, size_t error_size);

#ifdef __cplusplus
}
#endif

#endif /* HWNAS_PLUGIN_PLUGIN_ABI_H */
