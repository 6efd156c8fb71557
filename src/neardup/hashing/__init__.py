"""Everything neardup computes from one image file.

* :mod:`~neardup.hashing.formats`: which files are images, pixel limits (no Pillow import);
* :mod:`~neardup.hashing.decode`: opening files robustly, reduced decoding, normalisation;
* :mod:`~neardup.hashing.fast` and :mod:`~neardup.hashing.spec`: the hashes themselves;
* :mod:`~neardup.hashing.trim`, :mod:`~neardup.hashing.views`,
  :mod:`~neardup.hashing.alternates`: margins, verification views, alternate hashes;
* :mod:`~neardup.hashing.core`: one decode per file giving all of it.
"""
