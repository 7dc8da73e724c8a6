// The page of `python -m serve RUN_DIR`: it asks GET /model what the run is, builds the form that fits the run's
// kind, sends POST /predict and shows the answer. Plain JavaScript and no library: everything comes from this server.
// Text from the server is always set as textContent, never as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
let run = null;  // GET /model's answer: kind, input, classes, example, test metrics

function element(tag, properties = {}, children = []) {
  const node = document.createElement(tag);
  Object.assign(node, properties);
  node.append(...children);
  return node;
}

function labelled(text, input) {
  return element("label", {}, [text + " ", input]);
}

let answered = 0;  // submissions finished, answered or refused: body[data-answered] tells the browser test

function button(id, text, onClick) {
  return element("button", {id: id, type: "button", textContent: text, onclick: async () => {
    await onClick();
    document.body.dataset.answered = String(++answered);
  }});
}

async function predict(body) {
  $("error").textContent = "";
  const response = await fetch("/predict", {method: "POST", headers: {"Content-Type": "application/json"},
                                            body: JSON.stringify(body)});
  const answer = await response.json();
  if (!response.ok) {
    $("error").textContent = `${response.status}: ${answer.detail}`;
    return null;
  }
  return answer;
}

// ---- Showing answers

const percent = (p) => (100 * p).toFixed(1) + "%";

function showClasses(answer) {  // the likeliest class, and a bar for each of the top k
  $("answer").textContent = `${answer.class} (${percent(answer.probability)})`;
  $("details").replaceChildren(...answer.top.map((entry) => element("div", {className: "bar"}, [
    element("span", {textContent: `${entry.class} ${percent(entry.probability)}`}),
    element("div", {style: `width: ${Math.round(200 * entry.probability)}px`})])));
}

function imageCanvas(rows, scale) {  // a gray image (rows of values in 0..1) drawn pixel by pixel, shown bigger
  const height = rows.length, width = rows[0].length;
  const canvas = element("canvas", {width: width, height: height, className: "pixels"});
  const context = canvas.getContext("2d"), image = context.createImageData(width, height);
  rows.flat().forEach((value, i) => {
    const gray = Math.round(255 * Math.min(1, Math.max(0, value)));
    image.data.set([gray, gray, gray, 255], 4 * i);
  });
  context.putImageData(image, 0, 0);
  canvas.style.width = `${width * scale}px`;
  return canvas;
}

// ---- A pad to draw on, or to load an image file into (read here, in the browser: no file is uploaded)

function drawingPad() {
  const pad = element("canvas", {width: 280, height: 280, className: "pad", id: "pad"});
  const context = pad.getContext("2d");
  const clear = () => { context.fillStyle = "black"; context.fillRect(0, 0, pad.width, pad.height); };
  clear();
  Object.assign(context, {lineWidth: 22, lineCap: "round", lineJoin: "round", strokeStyle: "white"});
  let drawing = false;
  pad.addEventListener("pointerdown", (event) => {
    drawing = true;
    context.beginPath();
    context.moveTo(event.offsetX, event.offsetY);
  });
  pad.addEventListener("pointermove", (event) => {
    if (!drawing) return;
    context.lineTo(event.offsetX, event.offsetY);
    context.stroke();
  });
  for (const name of ["pointerup", "pointerleave"]) pad.addEventListener(name, () => { drawing = false; });
  const file = element("input", {type: "file", accept: "image/*", id: "file"});
  file.onchange = async () => {
    if (!file.files.length) return;
    const picture = await createImageBitmap(file.files[0]);
    clear();
    const scale = Math.min(pad.width / picture.width, pad.height / picture.height);
    context.drawImage(picture, 0, 0, picture.width * scale, picture.height * scale);
    if (run.input.digit_box) invertLightBackground(context, pad);
  };
  return {pad: pad, clear: clear, file: file};
}

function invertLightBackground(context, pad) {  // digits were written light on dark: a photo of ink on paper is not
  const image = context.getImageData(0, 0, pad.width, pad.height);
  let total = 0;
  for (let i = 0; i < image.data.length; i += 4) total += image.data[i];
  if (total / (image.data.length / 4) < 128) return;
  for (let i = 0; i < image.data.length; i += 4) for (let c = 0; c < 3; c++) image.data[i + c] = 255 - image.data[i + c];
  context.putImageData(image, 0, 0);
}

function padImage(pad) {
  // The pad at the model's size, prepared as the training digits were (MNIST's recipe): a digit is cropped to its
  // ink, scaled to fit a digit_box square, and moved so that its centre of mass is in the middle. Anything else is
  // scaled whole. Returns rows of gray values, or of [r, g, b].
  const {height, width, channels, digit_box: box} = run.input;
  const small = element("canvas", {width: width, height: height}), context = small.getContext("2d");
  const ink = box ? inkBounds(pad) : null;
  const scale = ink ? box / Math.max(ink.width, ink.height) : 1;
  const place = (x, y) => {
    context.fillStyle = "black";
    context.fillRect(0, 0, width, height);
    if (ink) context.drawImage(pad, ink.left, ink.top, ink.width, ink.height, x, y, ink.width * scale, ink.height * scale);
    else context.drawImage(pad, 0, 0, width, height);
  };
  if (ink) {  // centred by its box first, then shifted by whole pixels to centre its mass
    const x = (width - ink.width * scale) / 2, y = (height - ink.height * scale) / 2;
    place(x, y);
    const [massX, massY] = centreOfMass(context.getImageData(0, 0, width, height).data, width, height);
    place(x + Math.round(width / 2 - massX), y + Math.round(height / 2 - massY));
  } else {
    place(0, 0);
  }
  const data = context.getImageData(0, 0, width, height).data, rows = [];
  const value = (i) => Math.round(1000 * data[i] / 255) / 1000;
  for (let y = 0; y < height; y++) {
    const row = [];
    for (let x = 0; x < width; x++) {
      const i = 4 * (y * width + x);
      row.push(channels === 1 ? value(i) : [value(i), value(i + 1), value(i + 2)]);
    }
    rows.push(row);
  }
  return rows;
}

function centreOfMass(data, width, height) {  // of the red channel's brightness, in pixels from the top left
  let mass = 0, sumX = 0, sumY = 0;
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    const value = data[4 * (y * width + x)];
    mass += value; sumX += value * (x + 0.5); sumY += value * (y + 0.5);
  }
  return mass ? [sumX / mass, sumY / mass] : [width / 2, height / 2];
}

function inkBounds(pad) {  // the smallest rectangle around every pixel brighter than the background, or null
  const data = pad.getContext("2d").getImageData(0, 0, pad.width, pad.height).data;
  let top = pad.height, left = pad.width, bottom = -1, right = -1;
  for (let y = 0; y < pad.height; y++) for (let x = 0; x < pad.width; x++) {
    if (data[4 * (y * pad.width + x)] > 30) {
      top = Math.min(top, y); bottom = Math.max(bottom, y); left = Math.min(left, x); right = Math.max(right, x);
    }
  }
  return bottom < 0 ? null : {top: top, left: left, width: right - left + 1, height: bottom - top + 1};
}

// ---- One form per kind of run

function imageForm(form, onAnswer, makeBody) {
  const {pad, clear, file} = drawingPad();
  const seen = element("div", {id: "seen"});
  form.append(element("p", {textContent: "Draw with the mouse (or a finger), or load an image file."}), pad,
              element("div", {}, [button("submit", "Predict", send), element("button", {id: "clear", type: "button", textContent: "Clear", onclick: clear}), file]),
              element("p", {textContent: "What the model reads:"}), seen);
  async function send() {
    const rows = padImage(pad);
    if (run.input.channels === 1) seen.replaceChildren(imageCanvas(rows, Math.round(112 / rows.length)));
    const answer = await predict(makeBody(rows));
    if (answer) onAnswer(answer, rows);
  }
}

const forms = {
  image(form) {
    const classes = run.input.classes.length;
    imageForm(form, showClasses, (rows) => ({[run.input.channels === 1 ? "pixels" : "rgb"]: rows,
                                             top_k: Math.min(5, classes)}));
  },

  reconstruction(form) {
    imageForm(form, (answer) => {
      $("answer").textContent = `mean squared error ${answer.mse.toFixed(4)}`;
      $("details").replaceChildren(element("p", {textContent: "Reconstruction:"}),
                                   imageCanvas(answer.reconstruction, Math.round(112 / answer.reconstruction.length)));
    }, (rows) => ({pixels: rows}));
  },

  features(form) {
    const inputs = run.input.features.map((name, i) =>
      element("input", {type: "number", step: "any", value: run.example.features[i], name: name}));
    form.append(element("div", {className: "features"},
                        inputs.map((input) => labelled(input.name, input))), button("submit", "Predict", async () => {
      const answer = await predict({features: inputs.map((input) => Number(input.value)),
                                    top_k: Math.max(1, run.input.classes.length)});
      if (!answer) return;
      if (answer.top) showClasses(answer);
      else { $("answer").textContent = answer.value.toFixed(2); $("details").replaceChildren(); }
    }));
  },

  sequence(form) {
    const values = element("textarea", {id: "values", value: JSON.stringify(run.example.values)});
    form.append(labelled("Values, one [row] per time step (JSON):", values), button("submit", "Predict", async () => {
      let parsed;
      try { parsed = JSON.parse(values.value); } catch (error) { $("error").textContent = "not JSON: " + error; return; }
      const answer = await predict({values: parsed});
      if (!answer) return;
      if (answer.classes) { $("answer").textContent = answer.classes.join(", "); $("details").replaceChildren(); }
      else if (answer.top) showClasses(answer);
      else { $("answer").textContent = answer.value.toFixed(4); $("details").replaceChildren(); }
    }));
  },

  forecast(form) {
    const history = element("textarea", {id: "history", value: run.example.history.join(", ")});
    const steps = element("input", {type: "number", id: "steps", min: 1, max: 60, value: run.example.steps});
    form.append(labelled(`History in ${run.input.unit}, oldest first (at least ${run.input.needed} values):`, history),
                labelled("Steps ahead:", steps), button("submit", "Forecast", async () => {
      const past = history.value.split(/[\s,;]+/).filter((text) => text !== "").map(Number);
      const answer = await predict({history: past, steps: Number(steps.value)});
      if (!answer) return;
      $("answer").textContent = answer.forecast.map((value) => value.toFixed(2)).join(", ");
      $("details").replaceChildren(forecastPlot(past.slice(-60), answer.forecast));
    }));
  },

  text(form) {
    const prompt = element("input", {type: "text", id: "prompt", value: run.example.prompt});
    const temperature = element("input", {type: "number", id: "temperature", step: 0.1, min: 0.1, max: 5, value: 0.5});
    const length = element("input", {type: "number", id: "length", min: 1, max: 1000, value: run.example.length});
    const seed = element("input", {type: "number", id: "seed", min: 0, value: 0});
    form.append(labelled("Prompt:", prompt), labelled("Temperature:", temperature), labelled("Length:", length),
                labelled("Seed:", seed), button("submit", "Generate", async () => {
      const answer = await predict({prompt: prompt.value, temperature: Number(temperature.value),
                                    length: Number(length.value), seed: Number(seed.value)});
      if (!answer) return;
      $("answer").textContent = "";
      $("details").replaceChildren(element("pre", {className: "generated"},
                                           [element("b", {textContent: answer.prompt}), answer.generated]));
    }));
  },

  translation(form) {
    const text = element("input", {type: "text", id: "text", value: run.example.text, maxLength: run.input.max_tokens});
    form.append(labelled("Input:", text), button("submit", "Translate", async () => {
      const answer = await predict({text: text.value});
      if (!answer) return;
      $("answer").textContent = answer.output;
      $("details").replaceChildren(answer.attention ? heatmap(answer) : element("p", {textContent: "(no attention)"}));
    }));
  },

  samples(form) {
    const count = element("input", {type: "number", id: "count", min: 1, max: 64, value: 8});
    const seed = element("input", {type: "number", id: "seed", min: 0, value: 0});
    const digit = element("select", {id: "digit"}, [element("option", {value: "", textContent: "each in turn"}),
      ...run.input.classes.map((name, i) => element("option", {value: i, textContent: name}))]);
    form.append(labelled("Images:", count), labelled("Seed:", seed));
    if (run.input.conditional) form.append(labelled("Digit:", digit));
    form.append(button("submit", "Generate", async () => {
      const body = {count: Number(count.value), seed: Number(seed.value)};
      if (run.input.conditional && digit.value !== "") body.digit = Number(digit.value);
      const answer = await predict(body);
      if (!answer) return;
      $("answer").textContent = `${answer.images.length} samples`;
      $("details").replaceChildren(...answer.images.map((image) => imageCanvas(image, 3)));
    }));
  },
};

// ---- Pictures: where the attention looked, and a forecast after its history

function heatmap(answer) {  // a row per output token, a column per input token; darker blue = more attention
  const header = element("tr", {}, [element("th"), ...answer.input_tokens.map((token) =>
    element("th", {textContent: token === " " ? "\u2423" : token}))]);
  const rows = answer.attention.map((weights, t) => element("tr", {}, [
    element("th", {textContent: answer.output_tokens[t]}),
    ...weights.map((weight) => element("td", {title: weight.toFixed(3),
                                              style: `background: rgba(30, 80, 200, ${weight.toFixed(3)})`}))]));
  return element("table", {className: "heatmap", id: "heatmap"}, [header, ...rows]);
}

function forecastPlot(past, future) {  // the history in black, the forecast in orange after it
  const canvas = element("canvas", {width: 460, height: 220, id: "plot"}), context = canvas.getContext("2d");
  const all = past.concat(future), low = Math.min(...all), high = Math.max(...all), count = all.length;
  const x = (i) => 10 + 440 * i / Math.max(1, count - 1);
  const y = (value) => 210 - 200 * (value - low) / ((high - low) || 1);
  const line = (values, start, colour) => {
    context.strokeStyle = colour;
    context.lineWidth = 2;
    context.beginPath();
    values.forEach((value, i) => (i ? context.lineTo : context.moveTo).call(context, x(start + i), y(value)));
    context.stroke();
  };
  line(past, 0, "black");
  line([past[past.length - 1]].concat(future), past.length - 1, "darkorange");
  return canvas;
}

// ---- Start: what is this run?

window.addEventListener("load", async () => {
  run = await (await fetch("/model")).json();
  const scores = Object.entries(run.test_metrics).map(([name, value]) => `${name} ${Number(value).toFixed(4)}`);
  $("title").textContent = `${run.run}: ${run.kind}`;
  $("summary").textContent = `data set ${run.dataset}, ${run.params} parameters; test ${scores.join(", ")}`;
  forms[run.kind]($("form"));
  document.body.dataset.ready = "yes";  // for the browser test: the form is built
});
