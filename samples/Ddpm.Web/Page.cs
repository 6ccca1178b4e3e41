namespace Ddpm.Web;

/// <summary>The page at <c>/</c>: a form that asks <c>/sample</c> for a grid and shows it.</summary>
internal static class Page
{
    /// <summary>The page's HTML.</summary>
    public const string Html = """
        <!doctype html>
        <html lang="en">
        <head><meta charset="utf-8"><title>Ddpm.Core samples</title>
        <style>body{font-family:sans-serif;margin:2em}label{margin-right:1em}img{display:block;margin-top:1em;image-rendering:pixelated;width:512px}#error{color:#b00}</style></head>
        <body>
        <h1>Samples of the served model</h1>
        <form id="form">
          <label>seed <input name="seed" type="number" min="0" value="1"></label>
          <label>count <input name="count" type="number" min="1" max="64" value="16"></label>
          <label>sampler <select name="sampler"><option value="">the model's default</option>
            <option>ddpm</option><option>ddim</option><option>dpm++2m</option><option>euler</option><option>euler-a</option><option>heun</option></select></label>
          <button>Sample</button>
        </form>
        <p id="error"></p><img id="grid" alt="">
        <script>
        document.getElementById('form').onsubmit = async e => {
          e.preventDefault();
          const query = new URLSearchParams([...new FormData(e.target)].filter(([, v]) => v !== ''));
          const response = await fetch('/sample?' + query);
          if (!response.ok) { document.getElementById('error').textContent = (await response.json()).error ?? response.statusText; return; }
          document.getElementById('error').textContent = '';
          document.getElementById('grid').src = URL.createObjectURL(await response.blob());
        };
        </script>
        </body>
        </html>
        """;
}
