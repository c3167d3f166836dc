// Module Corpora.
