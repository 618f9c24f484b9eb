// Shim for Open MPI (GenerativeKitDistributed). MPI's handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM,
// MPI_IN_PLACE) are macros over addresses of library globals, which Swift cannot import; these
// inline functions hand them over.
#ifndef GENERATIVEKIT_CMPI_SHIM_H
#define GENERATIVEKIT_CMPI_SHIM_H

#include <mpi.h>

static inline MPI_Comm gk_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype gk_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype gk_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype gk_mpi_uint8(void) { return MPI_UINT8_T; }
static inline MPI_Datatype gk_mpi_int64(void) { return MPI_INT64_T; }
static inline MPI_Op gk_mpi_sum(void) { return MPI_SUM; }
static inline MPI_Op gk_mpi_max(void) { return MPI_MAX; }
static inline void *gk_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline int gk_mpi_thread_funneled(void) { return MPI_THREAD_FUNNELED; }
static inline int gk_mpi_success(void) { return MPI_SUCCESS; }
static inline MPI_Errhandler gk_mpi_errors_return(void) { return MPI_ERRORS_RETURN; }
static inline MPI_Request gk_mpi_request_null(void) { return MPI_REQUEST_NULL; }
static inline MPI_Status *gk_mpi_status_ignore(void) { return MPI_STATUS_IGNORE; }

#endif
