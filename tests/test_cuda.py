"""The torch code paths on a CUDA device: every transformer model trains and predicts there, its weights live
there, and its predictions agree with the same model moved to the CPU. Skipped where no GPU is present.
`SHOPNB_TEST_MODEL` may name a local model folder to use instead of the default MiniLM."""
import os
import numpy as np, pytest

torch = pytest.importorskip('torch')
pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason='no CUDA device on this machine')
MODEL = os.environ.get('SHOPNB_TEST_MODEL') or None

@pytest.fixture(scope='module')
def shop():
    from shopnb.synthetic import small
    return small(seed=0)

def test_device_choice():
    from shopnb.core import get_device
    assert get_device().type == 'cuda' and get_device('cpu').type == 'cpu'

def test_embeddings_match_cpu(tmp_path, monkeypatch):
    from shopnb.core import embed_texts
    monkeypatch.setenv('SHOPNB_CACHE', str(tmp_path))
    texts = ['soft fabric, fits well', 'the zip broke after a week', 'ok']
    gpu = embed_texts(texts, model=MODEL, device='cuda', cache=False)
    cpu = embed_texts(texts, model=MODEL, device='cpu', cache=False)
    np.testing.assert_allclose(gpu, cpu, atol=2e-3)

def test_sentiment_finetune_on_cuda(shop, tmp_path):
    from shopnb.sentiment import TransformerClassifier, sentiment_frame
    df = sentiment_frame(shop.reviews).head(96)
    m = TransformerClassifier(model=MODEL, epochs=1, batch_size=16, device='cuda', seed=0).fit(df.text.tolist(), df.label.tolist())
    assert next(m.model_.parameters()).device.type == 'cuda'
    assert m.precision_ == ('bf16' if torch.cuda.is_bf16_supported() else 'fp32')   # trained under autocast where the GPU has bf16
    p = m.predict_proba(df.text.tolist()[:32], precision='fp32')
    assert np.isfinite(p).all() and np.allclose(p.sum(1), 1, atol=1e-4)
    assert np.isfinite(m.predict_proba(df.text.tolist()[:32])).all()
    m.save(tmp_path/'ft')
    back = TransformerClassifier.load(tmp_path/'ft', device='cpu')
    np.testing.assert_allclose(back.predict_proba(df.text.tolist()[:32], precision='fp32'), p, atol=2e-3)

def test_nextaction_transformer_on_cuda(shop):
    from shopnb.nextaction import session_sequences, split_users, NextActionTransformer, evaluate
    tr, te = split_users(session_sequences(shop), seed=0)
    m = NextActionTransformer(d_model=32, n_layers=1, epochs=1, device='cuda', seed=0).fit(tr)
    assert next(m.net_.parameters()).device.type == 'cuda'
    proba, score = m.predict(te)
    assert np.isfinite(proba).all() and np.allclose(proba.sum(1), 1, atol=1e-4)
    m.net_.to('cpu'); m.device_ = torch.device('cpu')
    cpu_proba, _ = m.predict(te)
    np.testing.assert_allclose(cpu_proba, proba, atol=1e-3)
    assert 0 <= evaluate(m, te)['accuracy'] <= 1

def test_sasrec_on_cuda(shop):
    from shopnb.recommend import interactions, temporal_split, SASRec, evaluate
    split = temporal_split(interactions(shop), test_days=60)
    m = SASRec(d=32, n_layers=1, epochs=2, device='cuda', seed=0).fit(split.train)
    assert next(m.net_.parameters()).device.type == 'cuda'
    recs = m.recommend(k=10)
    assert len(recs) and recs.groupby('user_id').size().max() <= 10
    res = evaluate(m, split, k=10)
    assert 0 <= res['all']['ndcg@10'] <= 1
