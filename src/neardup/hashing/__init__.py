"""Everything neardup computes from one image file.

* :mod:`~neardup.hashing.formats`: which files are images, pixel limits (no Pillow import);
* :mod:`~neardup.hashing.decode`: opening files robustly, reduced decoding, normalisation;
* :mod:`~neardup.hashing.fast` and :mod:`~neardup.hashing.spec`: the hashes themselves;
* :mod:`~neardup.hashing.trim`, :mod:`~neardup.hashing.region`,
  :mod:`~neardup.hashing.panels`: margins, pictures in frames, panels of text;
* :mod:`~neardup.hashing.views`, :mod:`~neardup.hashing.agreement`,
  :mod:`~neardup.hashing.alignment`, :mod:`~neardup.hashing.alternates`: verification
  views, tile and colour agreement, aligned frames (``--crop``), alternate hashes;
* :mod:`~neardup.hashing.boxes`: areas and overlaps of boxes;
* :mod:`~neardup.hashing.core`: one decode per file giving all of it.
"""
