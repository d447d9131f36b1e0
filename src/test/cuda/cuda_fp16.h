// Stands in for CUDA's <cuda_fp16.h> when the kernels are compiled for the host: see cuda_emulation.h.
#pragma once
#include "cuda_emulation.h"
