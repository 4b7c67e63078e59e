document.getElementById('app')!.textContent = '即将上线';
