# Types for the compiled core (sim/_compiled.py): Cython reads this beside events.py; the
# Python source is unchanged and stays the reference.
cdef class EventQueue:
    cdef public list _heap
    cdef public long long _counter
    cdef public long long processed
    cdef public double now
    cdef public dict _buckets
    cdef public list _keys
    cdef public long long _near
    cdef public double horizon
    cdef public long long beyond
