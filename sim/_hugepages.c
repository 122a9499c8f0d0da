/* Python's small-object arenas in transparent huge pages.
 *
 * CPython keeps every object of up to 512 bytes (households, cases, events, floats) in
 * 1 MiB arenas it asks the operating system for one at a time (PyObjectArenaAllocator).
 * In a large city those objects are read in no particular order over hundreds of
 * megabytes; with 4 KiB pages nearly every such read also misses the processor's address
 * cache (TLB). This allocator hands pymalloc its arenas from 64 MiB regions aligned to
 * 2 MiB and marked MADV_HUGEPAGE, so the kernel backs them with 2 MiB pages where it has
 * them (transparent_hugepage "always" or "madvise").
 *
 * It changes where objects live, never what the model computes. An arena pymalloc gives
 * back is kept, with its memory, for its next request (arenas are all one size; giving
 * half a huge page back would split it); regions are never unmapped. So a process holds
 * the most small-object memory it ever needed (a replication's, for a sweep worker). Requests of any other size, and arenas made before install(), go to the
 * allocator that was there before. Linux only; elsewhere install() does nothing.
 * sim/_compiled.py installs it at import, unless JAMBI_SIM_HUGEPAGES=0.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#if defined(__linux__)
#include <stdint.h>
#include <sys/mman.h>
#if defined(MADV_HUGEPAGE)
#define JB_HUGEPAGES 1
#endif
#endif

#ifdef JB_HUGEPAGES
#define ARENA_BYTES ((size_t)1 << 20)   /* pymalloc's arena size on 64-bit CPython 3.10+ */
#define REGION_BYTES ((size_t)64 << 20) /* reserved at a time */
#define HUGE_BYTES ((size_t)2 << 20)

typedef struct region { char *lo, *hi; struct region *next; } region;
typedef struct spare { struct spare *next; } spare;

static PyObjectArenaAllocator previous;
static region *regions = NULL;  /* every region, for free() to recognise its arenas */
static char *next_arena = NULL, *region_end = NULL;
static spare *spares = NULL;    /* arenas given back, reused first */
static Py_ssize_t n_arenas = 0, n_regions = 0, n_spare = 0;

static int
ours(void *p)
{
    for (region *r = regions; r != NULL; r = r->next) {
        if ((char *)p >= r->lo && (char *)p < r->hi) {
            return 1;
        }
    }
    return 0;
}

static int
new_region(void)
{
    region *r = PyMem_RawMalloc(sizeof(region));
    if (r == NULL) {
        return 0;
    }
    size_t len = REGION_BYTES + HUGE_BYTES;
    /* MAP_NORESERVE: the unused part of a region is not charged to the commit limit */
    char *raw = mmap(NULL, len, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (raw == MAP_FAILED) {
        PyMem_RawFree(r);
        return 0;
    }
    /* keep the 2 MiB-aligned middle: a huge page needs an aligned 2 MiB range */
    char *lo = (char *)(((uintptr_t)raw + HUGE_BYTES - 1) & ~(uintptr_t)(HUGE_BYTES - 1));
    char *hi = lo + REGION_BYTES;
    if (lo > raw) {
        munmap(raw, (size_t)(lo - raw));
    }
    if (raw + len > hi) {
        munmap(hi, (size_t)(raw + len - hi));
    }
    (void)madvise(lo, REGION_BYTES, MADV_HUGEPAGE);  /* a hint: without THP, plain pages */
    r->lo = lo;
    r->hi = hi;
    r->next = regions;
    regions = r;
    next_arena = lo;
    region_end = hi;
    n_regions++;
    return 1;
}

static void *
arena_alloc(void *ctx, size_t size)
{
    (void)ctx;
    if (size != ARENA_BYTES) {
        return previous.alloc(previous.ctx, size);
    }
    if (spares != NULL) {
        spare *s = spares;
        spares = s->next;
        n_spare--;
        return s;
    }
    if ((next_arena == NULL || next_arena + size > region_end) && !new_region()) {
        return previous.alloc(previous.ctx, size);
    }
    void *p = next_arena;
    next_arena += size;
    n_arenas++;
    return p;
}

static void
arena_free(void *ctx, void *ptr, size_t size)
{
    (void)ctx;
    if (size == ARENA_BYTES && ours(ptr)) {
        spare *s = ptr;
        s->next = spares;
        spares = s;
        n_spare++;
        return;
    }
    previous.free(previous.ctx, ptr, size);
}

static int installed = 0;
#endif /* JB_HUGEPAGES */

static PyObject *
install(PyObject *self, PyObject *unused)
{
    (void)self;
    (void)unused;
#ifdef JB_HUGEPAGES
    if (!installed) {
        PyObject_GetArenaAllocator(&previous);
        PyObjectArenaAllocator mine = {NULL, arena_alloc, arena_free};
        PyObject_SetArenaAllocator(&mine);
        installed = 1;
    }
    Py_RETURN_TRUE;
#else
    Py_RETURN_FALSE;
#endif
}

static PyObject *
stats(PyObject *self, PyObject *unused)
{
    (void)self;
    (void)unused;
#ifdef JB_HUGEPAGES
    return Py_BuildValue("{s:O,s:n,s:n,s:n}", "installed", installed ? Py_True : Py_False,
                         "arenas", n_arenas, "spare", n_spare, "regions", n_regions);
#else
    return Py_BuildValue("{s:O,s:n,s:n,s:n}", "installed", Py_False, "arenas",
                         (Py_ssize_t)0, "spare", (Py_ssize_t)0, "regions", (Py_ssize_t)0);
#endif
}

static PyMethodDef methods[] = {
    {"install", install, METH_NOARGS,
     "Serve pymalloc's arenas from huge-page regions from now on; True if it can."},
    {"stats", stats, METH_NOARGS,
     "installed; arenas carved from the regions; spare arenas; regions reserved."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "sim._hugepages",
    "Python's small-object arenas in transparent huge pages (see _hugepages.c).", -1,
    methods,
};

PyMODINIT_FUNC
PyInit__hugepages(void)
{
    return PyModule_Create(&module);
}
