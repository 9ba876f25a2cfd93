/** The web app's entry point. */
import { render } from "solid-js/web";

function App() {
  return <main>Todo</main>;
}

const root = document.getElementById("root");
if (root) render(() => <App />, root);
