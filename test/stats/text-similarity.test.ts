import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeText, shingles, textSimilarity } from '../../src/stats/text-similarity.js';

describe('textSimilarity', () => {
  it('is 1 for texts equal after normalisation', () => {
    assert.equal(textSimilarity('Hello   World\n', 'hello world'), 1);
    // NFKC folds full-width letters and digits.
    assert.equal(textSimilarity('ＡＢＣ　１２３', 'abc 123'), 1);
    assert.equal(textSimilarity('', ''), 1);
  });

  it('is 0 for texts with nothing in common, and for one empty text', () => {
    assert.equal(textSimilarity('the cat sat', 'dogs bark loudly'), 0);
    assert.equal(textSimilarity('', 'something'), 0);
  });

  it('is symmetric and lies in [0, 1]', () => {
    const pairs: [string, string][] = [
      ['the quick brown fox', 'the quick red fox jumps'],
      ['東京は日本の首都です', '東京は日本で一番大きな都市です'],
      ['a a a b', 'a b b b'],
    ];
    for (const [a, b] of pairs) {
      const s = textSimilarity(a, b);
      assert.equal(s, textSimilarity(b, a));
      assert.ok(s > 0 && s < 1, `${a} / ${b}: ${s}`);
    }
  });

  it('scores by shared words: cosine of term counts', () => {
    // {the, quick, brown, fox} vs {the, quick, red, fox}: dot 3, norms 2 and 2 -> 0.75.
    assert.equal(textSimilarity('The quick brown fox', 'the quick red fox'), 0.75);
  });

  it('ranks a close paraphrase above an unrelated answer in Chinese, Japanese, Korean and Vietnamese', () => {
    const cases: [string, string, string][] = [
      ['北京是中国的首都。', '北京是中国首都。', '我喜欢吃苹果和香蕉。'],
      ['東京は日本の首都です。', '日本の首都は東京です。', '猫が庭で寝ています。'],
      ['서울은 한국의 수도입니다', '서울은 대한민국의 수도입니다', '고양이가 정원에서 잡니다'],
      ['Hà Nội là thủ đô của Việt Nam', 'Thủ đô của Việt Nam là Hà Nội', 'Tôi thích ăn phở bò'],
    ];
    for (const [reference, close, far] of cases) {
      const near = textSimilarity(reference, close);
      assert.ok(near > 0.5, `${reference} ~ ${close}: ${near}`);
      assert.ok(textSimilarity(reference, far) < near - 0.3, `${reference} vs ${far}`);
    }
  });

  it('keeps Vietnamese tone marks apart: different words are different terms', () => {
    // ma (ghost), má (mother), mà (but) are different words.
    assert.equal(textSimilarity('ma', 'má'), 0);
    // Decomposed and precomposed forms of the same word are equal after NFKC.
    assert.equal(textSimilarity('Việt', 'Vie\u0323\u0302t'), 1);
  });

  it('cuts unspaced scripts into character bigrams, and leaves spaced words whole', () => {
    assert.deepEqual(
      [...shingles(normalizeText('東京タワー'))],
      [
        ['東京', 1],
        ['京タ', 1],
        ['タワ', 1],
        ['ワー', 1],
      ],
    );
    assert.deepEqual(
      [...shingles('gpt4 東')],
      [
        ['gpt4', 1],
        ['東', 1],
      ],
    );
  });

  it('compares punctuation-only answers character by character', () => {
    assert.equal(textSimilarity('!!!', '???'), 0);
    assert.ok(textSimilarity('!?', '?!!') > 0);
  });
});
