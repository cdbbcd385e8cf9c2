"""Compares gleaner's English tokenizer with spaCy as datatrove 0.10.1 calls it.

For every document of a JSONL corpus: datatrove's `split_into_words(text, "eng")` and
`len(split_into_sentences(text, "eng"))` against gleaner's (`--example tokenize_jsonl`).
Prints exact-match rates and the first differing tokens of disagreeing documents.

Usage: python bench/parity/tokenizer.py CORPUS.jsonl GLEANER_WORDS.jsonl [max examples]
"""

import difflib
import json
import sys

from datatrove.utils.text import split_into_sentences, split_into_words


def main():
    corpus, ours_path = sys.argv[1], sys.argv[2]
    max_examples = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    n = same_words = same_count = same_sents = 0
    shown = 0
    with open(corpus, encoding="utf-8") as fc, open(ours_path, encoding="utf-8") as fo:
        for line_c, line_o in zip(fc, fo):
            doc = json.loads(line_c)
            ours = json.loads(line_o)
            text = doc["text"]
            theirs = split_into_words(text, "eng")
            sents = len(split_into_sentences(text, "eng"))
            n += 1
            same_words += theirs == ours["words"]
            same_count += len(theirs) == len(ours["words"])
            same_sents += sents == ours["sentences"]
            if theirs != ours["words"] and shown < max_examples:
                shown += 1
                sm = difflib.SequenceMatcher(a=theirs, b=ours["words"], autojunk=False)
                diffs = [(theirs[i1 - 2 if i1 > 1 else 0 : i2 + 2], ours["words"][j1 - 2 if j1 > 1 else 0 : j2 + 2])
                         for tag, i1, i2, j1, j2 in sm.get_opcodes() if tag != "equal"][:3]
                print(f"{doc['id']}: spaCy {len(theirs)} words, gleaner {len(ours['words'])}")
                for a, b in diffs:
                    print(f"    spaCy   {a}\n    gleaner {b}")
            elif sents != ours["sentences"] and shown < max_examples:
                shown += 1
                print(f"{doc['id']}: sentences spaCy {sents}, gleaner {ours['sentences']}")
    print(f"documents: {n}")
    print(f"identical word lists: {same_words}/{n} = {100 * same_words / n:.2f}%")
    print(f"same word count:      {same_count}/{n} = {100 * same_count / n:.2f}%")
    print(f"same sentence count:  {same_sents}/{n} = {100 * same_sents / n:.2f}%")


if __name__ == "__main__":
    main()
