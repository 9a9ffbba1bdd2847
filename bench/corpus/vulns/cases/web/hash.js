const target = document.getElementById('greeting');
target.innerHTML = 'Hello ' + decodeURIComponent(location.hash.slice(1));
