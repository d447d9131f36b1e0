// The one translation unit of the fatbin (build-fatbin.sh): attention and the encoder's dense path,
// so a process loads every kernel with one cuModuleLoadData.
#include "attention.cu"
#include "encoder.cu"
