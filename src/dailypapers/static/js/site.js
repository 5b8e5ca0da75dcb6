// Render LaTeX in titles and abstracts with the KaTeX copy served by this site.
document.addEventListener("DOMContentLoaded", () => {
  if (typeof renderMathInElement !== "function") return;
  for (const el of document.querySelectorAll(".tex")) {
    renderMathInElement(el, {
      delimiters: [
        { left: "$$", right: "$$", display: true },
        { left: "\\[", right: "\\]", display: true },
        { left: "$", right: "$", display: false },
        { left: "\\(", right: "\\)", display: false },
      ],
      throwOnError: false,
      // Titles and abstracts are anyone's text: bound what a formula may cost the reader.
      maxSize: 10,
      maxExpand: 100,
    });
  }
});
