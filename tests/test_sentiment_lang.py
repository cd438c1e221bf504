"""Reviews with class labels and in other languages: a labelled CSV through the loader and the CLI, a sample of the Chinese
waimai reviews through the sentiment report, and a tiny BERT built locally through the fine-tune/predict path."""
import json, os
from pathlib import Path
import numpy as np, pandas as pd
import pytest
from shopnb.datasets import reviews
from shopnb.core import ShopnbError
from shopnb.reports import run_report

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get('SHOPNB_SHARED_DATA', ROOT.parent/'shared'/'data'))
WAIMAI = DATA/'chinese_reviews'/'waimai_10k.parquet'


def test_labelled_csv(tmp_path):
    p = tmp_path/'labelled.csv'
    pd.DataFrame({'id': ['r1', 'r2', 'r3', 'r4'], 'body': ['great fit', 'fell apart', 'love it', 'too small'],
                  'sentiment': ['pos', 'neg', 'POS', 'negative']}).to_csv(p, index=False)
    s = reviews(p, text='body', label='sentiment', review_id='id')
    assert s.reviews.label.tolist() == ['positive', 'negative', 'positive', 'negative']
    assert 'rating' not in s.reviews                       # no star ratings needed
    assert s.manifest()['rows']['reviews'] == 4
    p.write_text(p.read_text().replace('negative', 'so-so'))
    with pytest.raises(ShopnbError, match=r"label column 'sentiment': 1 value\(s\) are not a known class label, e\.g\. \{'so-so': 1\}"):
        reviews(p, text='body', label='sentiment', review_id='id')


def test_labelled_three_classes_cli(tmp_path):
    from shopnb.cli import main
    p = tmp_path/'three.parquet'
    pd.DataFrame({'text': ['good', 'ok', 'bad', 'fine'], 'y': [2, 1, 0, 1]}).to_parquet(p)
    rc = main(['data', 'load', 'reviews', str(p), '--option', 'label=y', '--out', str(tmp_path/'shop')])
    assert rc in (0, None)
    from shopnb.schema import Shop
    assert Shop.load(tmp_path/'shop').reviews.label.tolist() == ['positive', 'neutral', 'negative', 'neutral']


@pytest.fixture(scope='module')
def waimai_shop(tmp_path_factory):
    "A 600-review stratified sample of the waimai reviews, loaded as a shop with the label option."
    if not WAIMAI.exists(): pytest.skip(f"shared data not found at {WAIMAI} (set SHOPNB_SHARED_DATA)")
    df = pd.read_parquet(WAIMAI)
    sample = pd.concat([df[df.label == k].sample(300, random_state=0) for k in (0, 1)]).sample(frac=1, random_state=0)
    d = tmp_path_factory.mktemp('waimai')
    sample.to_parquet(d/'sample.parquet')
    shop = reviews(d/'sample.parquet', label='label', text='review', name='waimai_sample')
    return shop.save(d/'shop')


def test_chinese_report(waimai_shop, tmp_path):
    params = dict(seed=0, baselines=['majority', 'tfidf', 'frozen'], max_frozen=200, max_train=100, max_val=50, epochs=1.0,
                  max_length=48, min_reviews=3, threads=2)
    res = run_report('sentiment', params=params, data_dir=waimai_shop, out=tmp_path, progress_bar=False, update_index=False)
    assert res.status == 'ok', res.error
    m = json.loads((res.out_dir/'metrics.json').read_text())['metrics']
    assert m['script'] == 'han' and m['label_source'] == 'label' and m['task'] == 'binary'
    assert m['model_covers_language'] is False and m['model_unknown_token_share'] > 0.3
    assert m['n_train_frozen'] == 200
    assert 'macro_f1/finetune' not in m                       # method auto: TF-IDF is the detailed model for a language the model lacks
    assert m['macro_f1/tfidf'] > m['macro_f1/majority'] + 0.3  # character n-grams: far above chance
    assert m['macro_f1/tfidf'] > 0.75
    assert all(len(t) >= 2 for t in m['top_positive_terms'] + m['top_negative_terms'])   # words, not single characters
    html = next(res.out_dir.glob('*.html')).read_text()
    assert 'does not cover' in html and 'Chinese' in html
    assert 'left out, the reviews are not tied to several products' in html   # one product: no rankings, one sentence


def _tiny_bert(folder: Path, texts):
    "A 2-layer BERT with random weights and a character WordPiece vocabulary built from `texts`, saved with save_pretrained."
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers
    import transformers
    tok = Tokenizer(models.WordPiece(unk_token='[UNK]'))
    tok.normalizer = normalizers.BertNormalizer(handle_chinese_chars=True, lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.train_from_iterator(texts, trainers.WordPieceTrainer(vocab_size=300, special_tokens=['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']))
    fast = transformers.PreTrainedTokenizerFast(tokenizer_object=tok, unk_token='[UNK]', pad_token='[PAD]', cls_token='[CLS]',
                                                sep_token='[SEP]', mask_token='[MASK]')
    from tokenizers import processors
    fast._tokenizer.post_processor = processors.TemplateProcessing(single='[CLS] $A [SEP]', pair='[CLS] $A [SEP] $B [SEP]',
                                                                   special_tokens=[('[CLS]', 2), ('[SEP]', 3)])
    cfg = transformers.BertConfig(vocab_size=len(fast), hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                                  max_position_embeddings=128)
    transformers.set_seed(0)
    transformers.BertModel(cfg).save_pretrained(folder); fast.save_pretrained(folder)
    (folder/'README.md').write_text('---\nlanguage: zh\n---\n# tiny test model\n')
    return folder


def test_tiny_chinese_bert(tmp_path):
    from shopnb.sentiment import TransformerClassifier, language_note, EmbeddingClassifier
    pos = ['很好吃，送餐也快', '味道不错，下次再来', '非常满意，好吃', '送餐快，很好吃', '好吃又便宜', '很满意，推荐']
    neg = ['太难吃了，送餐很慢', '很慢，菜都凉了', '难吃，不会再来', '太慢了，难吃', '菜凉了，很差', '很差，不推荐']
    texts, y = pos + neg, [1] * 6 + [0] * 6
    model = str(_tiny_bert(tmp_path/'tiny-zh', texts * 3))
    note = language_note(texts, model)
    assert note['covered'] and note['model_languages'] == ['zh'] and note['unknown_share'] < 0.05, note
    ft = TransformerClassifier(model=model, epochs=30, batch_size=6, lr=3e-3, max_length=32, threads=2, seed=0, precision='fp32').fit(texts, y)
    assert ft.pooling_ == 'cls'
    P = ft.predict_proba(texts)
    assert P.shape == (12, 2) and np.allclose(P.sum(1), 1)
    assert (ft.predict(texts) == np.array(y)).mean() >= 0.75  # it learns the training texts
    back = TransformerClassifier.load(ft.save(tmp_path/'saved'), threads=2)
    assert np.allclose(back.predict_proba(texts), P, atol=1e-5)
    em = EmbeddingClassifier(model=model, threads=2, cache=False).fit(texts, y)
    assert em.predict_proba(texts).shape == (12, 2)
