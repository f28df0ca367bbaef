// The BLACS, PBLAS and ScaLAPACK routines rmtlens calls. Debian's
// libscalapack-openmpi-dev ships no C header, so the Fortran prototypes
// are declared here, once: every argument by pointer, 32-bit integers
// (the reference build's INTEGER), descriptors as int[9].
//
// Reference: the ScaLAPACK Users' Guide (Blackford et al., SIAM 1997),
// chapter 4 (descriptors, block-cyclic layout) and the routine headers of
// ScaLAPACK 2.2 (pdsyevd.f, pdsyevr.f, pdgemm in PBLAS).
#pragma once

extern "C" {

// BLACS process grids (C interface of the BLACS, blacs_*.c).
void Cblacs_pinfo(int* rank, int* process_count);
void Cblacs_get(int context, int what, int* value);
void Cblacs_gridinit(int* context, const char* order, int rows, int cols);
void Cblacs_gridinfo(
    int context, int* rows, int* cols, int* my_row, int* my_col);
void Cblacs_gridexit(int context);

// Tools: local extent of a block-cyclic dimension, descriptor set-up.
int numroc_(const int* n,
            const int* block,
            const int* process,
            const int* source_process,
            const int* process_count);
void descinit_(int* desc,
               const int* rows,
               const int* cols,
               const int* row_block,
               const int* col_block,
               const int* row_source,
               const int* col_source,
               const int* context,
               const int* leading_dimension,
               int* info);

// C = alpha op(A) op(B) + beta C on distributed matrices (PBLAS level 3).
void pdgemm_(const char* trans_a,
             const char* trans_b,
             const int* m,
             const int* n,
             const int* k,
             const double* alpha,
             const double* a,
             const int* ia,
             const int* ja,
             const int* desc_a,
             const double* b,
             const int* ib,
             const int* jb,
             const int* desc_b,
             const double* beta,
             double* c,
             const int* ic,
             const int* jc,
             const int* desc_c);

// The same in float, and the symmetric rank-k update
// C = alpha op(A) op(A)^T + beta C (one triangle of C) in both precisions.
void psgemm_(const char* trans_a,
             const char* trans_b,
             const int* m,
             const int* n,
             const int* k,
             const float* alpha,
             const float* a,
             const int* ia,
             const int* ja,
             const int* desc_a,
             const float* b,
             const int* ib,
             const int* jb,
             const int* desc_b,
             const float* beta,
             float* c,
             const int* ic,
             const int* jc,
             const int* desc_c);
void pdsyrk_(const char* uplo,
             const char* trans,
             const int* n,
             const int* k,
             const double* alpha,
             const double* a,
             const int* ia,
             const int* ja,
             const int* desc_a,
             const double* beta,
             double* c,
             const int* ic,
             const int* jc,
             const int* desc_c);
void pssyrk_(const char* uplo,
             const char* trans,
             const int* n,
             const int* k,
             const float* alpha,
             const float* a,
             const int* ia,
             const int* ja,
             const int* desc_a,
             const float* beta,
             float* c,
             const int* ic,
             const int* jc,
             const int* desc_c);

// C = beta C + alpha A^T (PBLAS level 3).
void pdtran_(const int* m,
             const int* n,
             const double* alpha,
             const double* a,
             const int* ia,
             const int* ja,
             const int* desc_a,
             const double* beta,
             double* c,
             const int* ic,
             const int* jc,
             const int* desc_c);

// Copies an m x n submatrix between two distributions, possibly on
// different process grids; `context` must span every process of both
// (ScaLAPACK's REDIST tools).
void pdgemr2d_(const int* m,
               const int* n,
               const double* a,
               const int* ia,
               const int* ja,
               const int* desc_a,
               double* b,
               const int* ib,
               const int* jb,
               const int* desc_b,
               const int* context);
void psgemr2d_(const int* m,
               const int* n,
               const float* a,
               const int* ia,
               const int* ja,
               const int* desc_a,
               float* b,
               const int* ib,
               const int* jb,
               const int* desc_b,
               const int* context);

// Symmetric eigensolvers. pdsyevd: Householder tridiagonalisation
// (pdsytrd), divide and conquer on the tridiagonal (pdstedc), back-
// transformation (pdormtr). pdsyevr: the same reduction with MRRR.
// Eigenvalues come back ascending and replicated on every process.
void pdsyevd_(const char* jobz,
              const char* uplo,
              const int* n,
              double* a,
              const int* ia,
              const int* ja,
              const int* desc_a,
              double* w,
              double* z,
              const int* iz,
              const int* jz,
              const int* desc_z,
              double* work,
              const int* lwork,
              int* iwork,
              const int* liwork,
              int* info);

void pdsyevr_(const char* jobz,
              const char* range,
              const char* uplo,
              const int* n,
              double* a,
              const int* ia,
              const int* ja,
              const int* desc_a,
              const double* vl,
              const double* vu,
              const int* il,
              const int* iu,
              int* found_eigenvalues,
              int* found_eigenvectors,
              double* w,
              double* z,
              const int* iz,
              const int* jz,
              const int* desc_z,
              double* work,
              const int* lwork,
              int* iwork,
              const int* liwork,
              int* info);

}  // extern "C"

// Example (a 2 x 2 grid of 4 processes, row-major as rmtlens uses):
//   int context = 0;
//   Cblacs_get(-1, 0, &context);
//   Cblacs_gridinit(&context, "Row", 2, 2);
//   int rows, cols, my_row, my_col;
//   Cblacs_gridinfo(context, &rows, &cols, &my_row, &my_col);
