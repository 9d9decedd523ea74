
#undef ZMQ_EXPORT
