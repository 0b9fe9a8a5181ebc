// A Server Component page rendering the client wrapper (`ssr: false` is only allowed in a
// Client Component).
import { WasmClient } from "./WasmClient.jsx";

export default function Page() {
  return (
    <main>
      <WasmClient />
    </main>
  );
}
