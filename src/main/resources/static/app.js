// The caption page: pick, drop or shoot a photo, tick precisions, optionally ask a question, read the captions.
// One precision streams (POST v1/captions:stream, Server-Sent Events); several compare (POST v1/captions:compare).
// No framework, no build step, no third-party code.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const form = $('caption-form');
  const fileInput = $('file-input');
  const cameraInput = $('camera-input');
  const dropZone = $('drop-zone');
  const preview = $('preview');
  const previewImg = $('preview-img');
  const previewName = $('preview-name');
  const fieldset = $('precisions');
  const question = $('question');
  const speak = $('speak');
  const submit = $('submit');
  const statusEl = $('status');
  const errorEl = $('error');
  const table = $('results');
  const tbody = table.querySelector('tbody');

  const MAX_SIDE = 1024;        // photos larger than this are shrunk before upload
  const MODELS_POLLS = 100;     // while variants load, the list refreshes (every 3 s, this many times)
  const STAGES = ['total', 'queue', 'preprocess', 'vision', 'prefill', 'decode'];

  let photo = null;             // {blob, name}
  let previewUrl = null;
  let busy = false;
  let polls = 0;

  // ------------------------------------------------------------------ status, errors, speech

  function setStatus(text) {
    // Emptied first so that the same text is announced again.
    statusEl.textContent = '';
    requestAnimationFrame(() => { statusEl.textContent = text; });
  }

  function showError(text) {
    errorEl.textContent = text;
  }

  function clearError() {
    errorEl.textContent = '';
  }

  function say(text) {
    if (!speak.checked || !('speechSynthesis' in window)) {
      return;
    }
    window.speechSynthesis.cancel();
    window.speechSynthesis.speak(new SpeechSynthesisUtterance(text));
  }

  if ('speechSynthesis' in window) {
    $('speak-row').hidden = false;
  }

  // ------------------------------------------------------------------ models

  async function loadModels() {
    let models;
    try {
      const r = await fetch('v1/models', {headers: {Accept: 'application/json'}});
      if (!r.ok) {
        throw await problemError(r);
      }
      models = await r.json();
    } catch (err) {
      renderPrecisions(null, err);
      return;
    }
    renderPrecisions(models, null);
    const loading = models.variants.some((v) => v.model === models.default_model
      && (v.state === 'loading' || v.state === 'building'));
    if (loading && polls++ < MODELS_POLLS) {
      setTimeout(loadModels, 3000);
    }
  }

  function renderPrecisions(models, err) {
    const checked = new Set([...fieldset.querySelectorAll('input:checked')].map((i) => i.value));
    const first = !fieldset.querySelector('input');
    fieldset.querySelectorAll('.check, .small').forEach((n) => n.remove());
    if (!models) {
      const p = document.createElement('p');
      p.className = 'small';
      p.textContent = 'The list of models could not be loaded (' + err.message + '). The default precision is used.';
      fieldset.append(p);
      return;
    }
    const variants = models.variants.filter((v) => v.model === models.default_model);
    if (!variants.length) {
      const p = document.createElement('p');
      p.className = 'small';
      p.textContent = 'No variant of ' + models.default_model + ' yet.';
      fieldset.append(p);
    }
    for (const v of variants) {
      const id = 'precision-' + v.precision.replace(/[^A-Za-z0-9_-]/g, '_');
      const row = document.createElement('div');
      row.className = 'check';
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.name = 'precision';
      box.value = v.precision;
      box.id = id;
      box.disabled = v.state !== 'ready';
      box.checked = !box.disabled && (first ? v.is_default : checked.has(v.precision));
      const label = document.createElement('label');
      label.htmlFor = id;
      label.textContent = v.precision;
      row.append(box, label);
      const notes = [];
      if (v.method && v.method.name && v.method.name !== 'convert') {
        notes.push(v.method.name);
      }
      if (v.compute && JSON.stringify(v.compute).toLowerCase().includes('simulat')) {
        notes.push('simulated');
      }
      if (v.is_default) {
        notes.push('default');
      }
      if (v.state === 'loading' || v.state === 'building') {
        notes.push(v.state + (v.detail ? ': ' + v.detail : ''));
      } else if (v.state === 'failed') {
        notes.push('unavailable: ' + (v.reason || 'failed to load'));
      }
      if (notes.length) {
        const note = document.createElement('span');
        note.className = 'state';
        note.id = id + '-note';
        note.textContent = '(' + notes.join(', ') + ')';
        box.setAttribute('aria-describedby', note.id);
        row.append(note);
      }
      fieldset.append(row);
    }
  }

  function chosenPrecisions() {
    const boxes = [...fieldset.querySelectorAll('input[name="precision"]')];
    if (!boxes.length) {
      return [null]; // list unavailable: the service's default
    }
    return boxes.filter((b) => b.checked).map((b) => b.value);
  }

  // ------------------------------------------------------------------ the photo

  async function shrink(file) {
    if (!('createImageBitmap' in window)) {
      return file;
    }
    try {
      const bitmap = await createImageBitmap(file, {imageOrientation: 'from-image'});
      const scale = MAX_SIDE / Math.max(bitmap.width, bitmap.height);
      if (scale >= 1) {
        bitmap.close();
        return file;
      }
      const canvas = document.createElement('canvas');
      canvas.width = Math.max(1, Math.round(bitmap.width * scale));
      canvas.height = Math.max(1, Math.round(bitmap.height * scale));
      canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      bitmap.close();
      return await new Promise((resolve) => canvas.toBlob((b) => resolve(b || file), 'image/jpeg', 0.9));
    } catch (e) {
      return file; // a format this browser cannot draw: the service decides
    }
  }

  async function usePhoto(file) {
    if (!file) {
      return;
    }
    if (file.type && !file.type.startsWith('image/')) {
      showError('That file is not an image.');
      return;
    }
    clearError();
    const blob = await shrink(file);
    photo = {blob, name: file.name || 'photo.jpg'};
    if (previewUrl) {
      URL.revokeObjectURL(previewUrl);
    }
    previewUrl = URL.createObjectURL(blob);
    previewImg.src = previewUrl;
    previewImg.alt = 'The chosen photo, not captioned yet';
    previewName.textContent = photo.name + ' · ' + Math.max(1, Math.round(blob.size / 1024)) + ' kB'
      + (blob !== file ? ' (shrunk)' : '');
    preview.hidden = false;
    tbody.textContent = '';
    table.hidden = true;
    setStatus('Photo ready: ' + photo.name + '. Press Caption.');
  }

  fileInput.addEventListener('change', () => {
    cameraInput.value = '';
    usePhoto(fileInput.files[0]);
  });
  cameraInput.addEventListener('change', () => {
    fileInput.value = '';
    usePhoto(cameraInput.files[0]);
  });

  for (const type of ['dragenter', 'dragover']) {
    dropZone.addEventListener(type, (e) => {
      e.preventDefault();
      dropZone.classList.add('dragging');
    });
  }
  dropZone.addEventListener('dragleave', () => dropZone.classList.remove('dragging'));
  dropZone.addEventListener('drop', (e) => {
    e.preventDefault();
    dropZone.classList.remove('dragging');
    const file = [...(e.dataTransfer ? e.dataTransfer.files : [])].find((f) => !f.type || f.type.startsWith('image/'));
    if (file) {
      fileInput.value = '';
      cameraInput.value = '';
      usePhoto(file);
    } else {
      showError('Drop an image file.');
    }
  });

  // ------------------------------------------------------------------ results table

  function addRow(precision) {
    const tr = document.createElement('tr');
    tr.setAttribute('aria-busy', 'true');
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = precision || 'default';
    const caption = document.createElement('td');
    caption.className = 'caption';
    tr.append(th, caption);
    const cells = {};
    for (const stage of STAGES.concat(['batch'])) {
      const td = document.createElement('td');
      td.className = 'num';
      cells[stage] = td;
      tr.append(td);
    }
    tbody.append(tr);
    table.hidden = false;
    return {tr, th, caption, cells};
  }

  function fillRow(row, result) {
    row.tr.removeAttribute('aria-busy');
    row.th.textContent = result.precision;
    row.caption.textContent = result.captions[0].text;
    for (const stage of STAGES) {
      row.cells[stage].textContent = result.timings_ms[stage].toFixed(1);
    }
    row.cells.batch.textContent = String(result.batch_size);
  }

  function failRow(row, problem) {
    row.tr.removeAttribute('aria-busy');
    row.caption.className = 'caption failed';
    row.caption.textContent = describe(problem);
  }

  // ------------------------------------------------------------------ requests

  function describe(problem) {
    let text = (problem.title || 'Error') + ': ' + (problem.detail || 'the request failed');
    const retry = problem.retry_after_seconds;
    if (retry) {
      text += ' Try again in ' + retry + ' s.';
    }
    return text;
  }

  async function problemError(response) {
    let problem = null;
    try {
      problem = await response.json();
    } catch (e) {
      // not JSON
    }
    if (!problem || typeof problem !== 'object') {
      problem = {title: 'HTTP ' + response.status, detail: response.statusText || 'the request failed'};
    }
    const retry = response.headers.get('Retry-After');
    if (retry && !problem.retry_after_seconds) {
      problem.retry_after_seconds = retry;
    }
    const err = new Error(describe(problem));
    err.problem = problem;
    return err;
  }

  function toPrompt(text) {
    const q = text.trim();
    if (!q) {
      return '';
    }
    if (/^question:/i.test(q)) {
      return /answer:$/i.test(q) ? q : q + ' Answer:';
    }
    return 'Question: ' + q + ' Answer:';
  }

  function body(prompt) {
    const data = new FormData();
    data.append('image', photo.blob, photo.name);
    if (prompt) {
      data.append('prompt', prompt);
    }
    return data;
  }

  /** Reads Server-Sent Events: blank-line separated, "event:" and "data:" fields, data joined by newlines. */
  async function readEvents(stream, onEvent) {
    const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    const dispatch = (block) => {
      let name = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (!line || line.startsWith(':')) {
          continue;
        }
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) {
          value = value.slice(1);
        }
        if (field === 'event') {
          name = value;
        } else if (field === 'data') {
          data.push(value);
        }
      }
      if (data.length) {
        onEvent(name, JSON.parse(data.join('\n')));
      }
    };
    for (;;) {
      const {value, done} = await reader.read();
      if (value) {
        buffer += value.replace(/\r\n/g, '\n');
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          dispatch(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
      if (done) {
        if (buffer.trim()) {
          dispatch(buffer);
        }
        return;
      }
    }
  }

  async function streamOne(precision, prompt) {
    const data = body(prompt);
    if (precision) {
      data.append('precision', precision);
    }
    const row = addRow(precision);
    const response = await fetch('v1/captions:stream', {method: 'POST', body: data, headers: {Accept: 'text/event-stream'}});
    const type = response.headers.get('Content-Type') || '';
    if (!response.ok || !type.startsWith('text/event-stream')) {
      const err = await problemError(response);
      failRow(row, err.problem);
      throw err;
    }
    let result = null;
    let failure = null;
    await readEvents(response.body, (name, event) => {
      if (name === 'token') {
        row.caption.textContent = event.caption;
      } else if (name === 'result') {
        result = event;
      } else if (name === 'error') {
        failure = event;
      }
    });
    if (failure || !result) {
      const problem = failure || {title: 'Stream ended', detail: 'the stream ended without a caption'};
      failRow(row, problem);
      throw Object.assign(new Error(describe(problem)), {problem});
    }
    fillRow(row, result);
    return [result];
  }

  async function compare(precisions, prompt) {
    const data = body(prompt);
    data.append('precisions', precisions.join(','));
    const rows = new Map(precisions.map((p) => [p, addRow(p)]));
    const response = await fetch('v1/captions:compare', {method: 'POST', body: data, headers: {Accept: 'application/json'}});
    if (!response.ok) {
      const err = await problemError(response);
      rows.forEach((row) => failRow(row, err.problem));
      throw err;
    }
    const answer = await response.json();
    const ok = [];
    for (const r of answer.results) {
      const row = rows.get(r.precision) || addRow(r.precision);
      if (r.status === 200) {
        fillRow(row, r);
        ok.push(r);
      } else {
        failRow(row, r.error || {title: 'HTTP ' + r.status});
      }
    }
    if (!ok.length) {
      throw new Error('No precision could answer; see the table.');
    }
    return ok;
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (busy) {
      return;
    }
    clearError();
    if (!photo) {
      showError('Choose or take a photo first.');
      fileInput.focus();
      return;
    }
    const precisions = chosenPrecisions();
    if (!precisions.length) {
      showError('Tick at least one precision.');
      const box = fieldset.querySelector('input:not([disabled])');
      if (box) {
        box.focus();
      }
      return;
    }
    const prompt = toPrompt(question.value);
    busy = true;
    submit.setAttribute('aria-disabled', 'true');
    submit.textContent = prompt ? 'Answering…' : 'Captioning…';
    tbody.textContent = '';
    setStatus(prompt ? 'Answering…' : 'Captioning…');
    try {
      const results = precisions.length === 1 ? await streamOne(precisions[0], prompt) : await compare(precisions, prompt);
      const what = prompt ? 'Answer' : 'Caption';
      const text = results.length === 1
        ? what + ': ' + results[0].captions[0].text
        : results.map((r) => r.precision + ': ' + r.captions[0].text).join('. ');
      setStatus(text);
      if (!prompt) {
        previewImg.alt = results[0].captions[0].text;
      }
      say(results[0].captions[0].text);
    } catch (err) {
      showError(err.message);
      setStatus(prompt ? 'No answer.' : 'No caption.');
    } finally {
      busy = false;
      submit.removeAttribute('aria-disabled');
      submit.textContent = 'Caption';
    }
  });

  loadModels();
})();
