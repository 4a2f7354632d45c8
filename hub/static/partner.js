/* The partner's action pages (templates/partners): a part of a form that belongs to one choice
   of a radio, marked data-hub-show-when="NAME=VALUE", is shown only while that choice is
   checked: "Another day"'s date boxes, "Other"'s reason. Without this script every part stays
   shown, and the form works the same. Not a GOV.UK conditional reveal, which puts aria-expanded
   on the radio (docs/decisions.md). */
const parts = document.querySelectorAll("[data-hub-show-when]");

function update() {
  for (const part of parts) {
    const [name, value] = part.dataset.hubShowWhen.split("=");
    const chosen = document.querySelector(`input[type="radio"][name="${name}"]:checked`);
    part.hidden = !chosen || chosen.value !== value;
  }
}

for (const part of parts) {
  const [name] = part.dataset.hubShowWhen.split("=");
  for (const radio of document.querySelectorAll(`input[type="radio"][name="${name}"]`)) {
    radio.addEventListener("change", update);
  }
}
update();
