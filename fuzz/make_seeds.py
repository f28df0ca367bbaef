#!/usr/bin/python3
"""Writes small seed corpora for the fuzzers: valid .npy files of every
dtype, order and version (into argv[1]) and IDX files, raw and gzip (into
argv[2]). Needs Debian's python3-numpy."""
import gzip
import struct
import sys

import numpy as np
from numpy.lib import format as npy_format


def write_npy_seeds(out):
    grid = np.arange(6).reshape(2, 3)
    codes = ['<f4', '<f8', '>f8', '|i1', '<i2', '>i4', '<i8', '|u1', '>u2',
             '<u4', '>u8', '|b1']
    for n, code in enumerate(codes):
        for order in 'CF':
            array = np.array(grid, dtype=code, order=order)
            with open(f'{out}/{n:02d}{order}.npy', 'wb') as f:
                npy_format.write_array(f, array)
    for major in (1, 2, 3):
        with open(f'{out}/version{major}.npy', 'wb') as f:
            npy_format.write_array(f, np.arange(4.0), version=(major, 0))
    with open(f'{out}/scalar.npy', 'wb') as f:
        npy_format.write_array(f, np.array(1.5))


def idx_bytes(shape):
    count = int(np.prod(shape))
    header = struct.pack('>BBBB', 0, 0, 8, len(shape))
    header += b''.join(struct.pack('>I', d) for d in shape)
    return header + bytes(i % 256 for i in range(count))


def write_idx_seeds(out):
    for n, shape in enumerate([(5,), (2, 3), (2, 3, 4)]):
        data = idx_bytes(shape)
        with open(f'{out}/raw{n}.idx', 'wb') as f:
            f.write(data)
        with open(f'{out}/gzip{n}.idx', 'wb') as f:
            f.write(gzip.compress(data))


if __name__ == '__main__':
    write_npy_seeds(sys.argv[1])
    write_idx_seeds(sys.argv[2])
