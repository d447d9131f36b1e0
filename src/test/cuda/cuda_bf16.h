// Stands in for CUDA's <cuda_bf16.h> when the kernels are compiled for the host: see cuda_emulation.h.
#pragma once
#include "cuda_emulation.h"
